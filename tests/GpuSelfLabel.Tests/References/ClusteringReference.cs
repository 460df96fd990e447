namespace GpuSelfLabel.Tests.References;

/// <summary>
/// ops.md §9 straight from the definitions, sharing nothing with the library: ARI from an
/// enumeration of every pair of samples, NMI from label frequencies, ACC by trying every
/// one-to-one cluster→class map. Quadratic or factorial, so for small inputs only.
/// </summary>
public static class ClusteringReference
{
    /// <summary>
    /// Rand index adjusted for chance from pair agreements: with a = pairs together in both, b =
    /// together only in the truth, c = only in the prediction, d = apart in both,
    /// ARI = 2(ad − bc) / ((a + b)(b + d) + (a + c)(c + d)).
    /// </summary>
    public static double Ari(int[] predicted, int[] truth)
    {
        double a = 0, b = 0, c = 0, d = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            for (int j = i + 1; j < predicted.Length; j++)
            {
                bool samePredicted = predicted[i] == predicted[j];
                bool sameTruth = truth[i] == truth[j];
                if (samePredicted && sameTruth)
                {
                    a++;
                }
                else if (sameTruth)
                {
                    b++;
                }
                else if (samePredicted)
                {
                    c++;
                }
                else
                {
                    d++;
                }
            }
        }

        return b == 0 && c == 0 ? 1.0 : 2 * ((a * d) - (b * c)) / (((a + b) * (b + d)) + ((a + c) * (c + d)));
    }

    /// <summary>I(U, V) / ((H(U) + H(V)) / 2), with p = count / N and natural logs.</summary>
    public static double Nmi(int[] predicted, int[] truth)
    {
        double n = predicted.Length;
        var pu = Frequencies(predicted);
        var pv = Frequencies(truth);
        if (pu.Count == 1 && pv.Count == 1)
        {
            return 1.0;
        }

        var joint = Frequencies(predicted.Zip(truth, (p, t) => ((long)p << 32) | (uint)t).ToArray());
        double mutual = 0;
        foreach (var (key, count) in joint)
        {
            double pij = count / n;
            double pi = pu[(int)(key >> 32)] / n;
            double pj = pv[(int)(key & 0xFFFFFFFF)] / n;
            mutual += pij * (Math.Log(pij) - Math.Log(pi) - Math.Log(pj));
        }

        double hu = -pu.Values.Sum(v => v / n * Math.Log(v / n));
        double hv = -pv.Values.Sum(v => v / n * Math.Log(v / n));
        return Math.Abs(mutual) < 1e-15 ? 0.0 : mutual / ((hu + hv) / 2);
    }

    /// <summary>The best fraction of samples correct over all one-to-one cluster→class maps.</summary>
    public static double Accuracy(int[] predicted, int[] truth)
    {
        var clusters = predicted.Distinct().ToArray();
        var classes = truth.Distinct().ToArray();
        var counts = new Dictionary<(int, int), int>();
        for (int i = 0; i < predicted.Length; i++)
        {
            counts[(predicted[i], truth[i])] = counts.GetValueOrDefault((predicted[i], truth[i])) + 1;
        }

        // Assign each cluster in turn a distinct class or none; "none" is always allowed, so
        // the search covers both more and fewer clusters than classes.
        var taken = new bool[classes.Length];
        int Best(int cluster)
        {
            if (cluster == clusters.Length)
            {
                return 0;
            }

            int best = Best(cluster + 1);
            for (int c = 0; c < classes.Length; c++)
            {
                if (!taken[c])
                {
                    taken[c] = true;
                    best = Math.Max(best, counts.GetValueOrDefault((clusters[cluster], classes[c])) + Best(cluster + 1));
                    taken[c] = false;
                }
            }

            return best;
        }

        return (double)Best(0) / predicted.Length;
    }

    private static Dictionary<T, int> Frequencies<T>(T[] labels)
        where T : notnull
    {
        var counts = new Dictionary<T, int>();
        foreach (var label in labels)
        {
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }

        return counts;
    }
}
