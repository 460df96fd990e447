namespace GpuSelfLabel;

/// <summary>How Average-K pseudo-labels combine the true label with the largest probabilities (ops.md §8).</summary>
public enum AverageKRule
{
    /// <summary>
    /// The true label, plus the round(K·B) − B largest of the other B(L−1) entries (ties: lower flat
    /// index first): exactly round(K·B) positives.
    /// </summary>
    TruePlusTop,

    /// <summary>
    /// The round(K·B) largest entries of all B·L (ties: lower flat index first), then the true labels
    /// added: between round(K·B) and round(K·B) + B positives.
    /// </summary>
    TopThenTrue,
}
