namespace GpuSelfLabel.Validation;

/// <summary>The rules for host vectors of class indices (true labels given next to a score matrix).</summary>
internal static class LabelGuard
{
    /// <summary>
    /// One label per row of a rows×classes matrix, each in [0, classes); a bad one is reported with its row.
    /// </summary>
    public static void ClassIndices(int[]? labels, long rows, long classes, string argument)
    {
        Guard.NotNull(labels, argument);
        if (labels!.Length != rows)
        {
            throw new GslArgumentException(argument, $"has {labels.Length} entries but there are {rows} rows; one label per row is needed");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes)
            {
                throw new GslArgumentException(argument, $"class index {labels[i]} is outside [0, {classes})", i);
            }
        }
    }
}
