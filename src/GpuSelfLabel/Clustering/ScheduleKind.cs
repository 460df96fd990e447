namespace GpuSelfLabel.Clustering;

/// <summary>How the learning rate changes over training.</summary>
public enum ScheduleKind
{
    /// <summary>The base rate throughout.</summary>
    Constant,
    /// <summary>Half a cosine from the base rate down to 0, evaluated at every step.</summary>
    Cosine,
    /// <summary>The base rate divided by 10 at 50% and again at 75% of the epochs.</summary>
    Step,
}
