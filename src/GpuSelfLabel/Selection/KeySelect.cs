using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Selection;

/// <summary>The outcome of a descending selection: the key and how many candidates lie strictly above or on it.</summary>
/// <param name="Key">Key of the rank-th largest candidate.</param>
/// <param name="Above">Number of candidates with a larger key.</param>
/// <param name="Equal">Number of candidates with exactly this key.</param>
internal readonly record struct SelectedKey(uint Key, long Above, long Equal);

/// <summary>
/// Backend-neutral driver of the radix select: each round asks the backend for one histogram of the
/// candidates that share the prefix found so far, and narrows the prefix on the host. Three rounds
/// (11 + 11 + 10 bits) pin down the exact key, whatever the data, with three reads of the scores.
/// </summary>
internal static class KeySelect
{
    /// <summary>
    /// The <paramref name="rank"/>-th largest (1-based) key among the entries of <paramref name="scores"/>,
    /// leaving out entry (i, labels[i]) of each row when <paramref name="excludedLabels"/> is given.
    /// </summary>
    public static SelectedKey Descending(IBackendKernels kernels, Tensor scores, Tensor? excludedLabels, long rank)
    {
        uint prefix = 0;
        int prefixBits = 0;
        long above = 0;
        long equal = 0;
        foreach (int bits in OrderedKey.RoundBits)
        {
            var histogram = new long[1 << bits];
            kernels.AverageKKeyHistogram(scores, excludedLabels, prefix, prefixBits, bits, histogram);
            long remaining = rank - above;
            int bin = histogram.Length - 1;
            while (bin > 0 && histogram[bin] < remaining)
            {
                remaining -= histogram[bin];
                above += histogram[bin];
                bin--;
            }

            prefix = (prefix << bits) | (uint)bin;
            prefixBits += bits;
            equal = histogram[bin];
        }

        return new SelectedKey(prefix, above, equal);
    }
}
