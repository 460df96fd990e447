using GpuSelfLabel.Backends;

namespace GpuSelfLabel.Selection;

/// <summary>The outcome of a descending selection: the key and how many candidates lie strictly above or on it.</summary>
/// <param name="Key">Key of the rank-th largest candidate.</param>
/// <param name="Above">Number of candidates with a larger key.</param>
/// <param name="Equal">Number of candidates with exactly this key.</param>
/// <param name="NextBelow">The next smaller candidate key when the last histogram already showed it, else null.</param>
/// <param name="NonFinite">
/// Candidates that are ±∞ or NaN, read off the first histogram (null when its bins are too wide to tell),
/// so a caller can skip a separate finiteness pass over the scores when this is 0.
/// </param>
internal readonly record struct SelectedKey(uint Key, long Above, long Equal, uint? NextBelow, long? NonFinite);

/// <summary>
/// Backend-neutral driver of the radix select: each round asks the backend for one histogram of the
/// candidates that share the prefix found so far, and narrows the prefix on the host. The backend's
/// rounds (<see cref="IBackendKernels.AverageKRoundBits"/>: 11 + 11 + 10 bits on GPUs, 16 + 16 on the
/// CPU) pin down the exact key, whatever the data, with one read of the scores per round.
/// </summary>
internal static class KeySelect
{
    /// <summary>
    /// The <paramref name="rank"/>-th largest (1-based) key among the entries of <paramref name="scores"/>,
    /// leaving out entry (i, labels[i]) of each row when <paramref name="excludedLabels"/> is given.
    /// <paramref name="scratch"/> is the caller's Average-K scratch, which every round reuses.
    /// </summary>
    public static SelectedKey Descending(IBackendKernels kernels, Tensor scores, Tensor? excludedLabels, long rank, Tensor scratch)
    {
        uint group = 0;
        uint prefix = 0;
        int prefixBits = 0;
        long above = 0;
        long[] histogram = [];
        int bin = 0;
        long? nonFinite = null;
        foreach (int bits in kernels.AverageKRoundBits)
        {
            histogram = new long[1 << bits];
            kernels.AverageKKeyHistogram(scores, excludedLabels, prefix, prefixBits, bits, histogram, scratch);
            if (prefixBits == 0)
            {
                nonFinite = OrderedKey.NonFiniteCount(histogram);
            }

            long remaining = rank - above;
            bin = histogram.Length - 1;
            while (bin > 0 && histogram[bin] < remaining)
            {
                remaining -= histogram[bin];
                above += histogram[bin];
                bin--;
            }

            group = prefix << bits;
            prefix = group | (uint)bin;
            prefixBits += bits;
        }

        // The last histogram holds every key that shares all but the last bits: a lower one there is the next key down.
        uint? nextBelow = null;
        for (int lower = bin - 1; lower >= 0 && nextBelow is null; lower--)
        {
            nextBelow = histogram[lower] > 0 ? group | (uint)lower : null;
        }

        return new SelectedKey(prefix, above, histogram[bin], nextBelow, nonFinite);
    }
}
