using GpuSelfLabel.Metrics;

namespace GpuSelfLabel.Tests.Families;

/// <summary>The assignment solver behind clustering accuracy, against exhaustive search.</summary>
public sealed class HungarianTests
{
    public static TheoryData<int, int> SmallShapes() => new()
    {
        { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }, { 5, 5 }, { 6, 6 }, { 7, 7 },
        { 5, 7 }, { 7, 5 }, { 1, 7 }, { 7, 1 }, { 3, 6 }, { 6, 2 },
    };

    [Theory]
    [MemberData(nameof(SmallShapes))]
    public void Matches_brute_force_on_counts(int rows, int columns) => CompareWithBruteForce(rows, columns, 0, 20);

    [Theory]
    [MemberData(nameof(SmallShapes))]
    public void Matches_brute_force_on_signed_weights(int rows, int columns) => CompareWithBruteForce(rows, columns, -1000, 1000);

    [Fact]
    public void Ties_everywhere_still_give_a_full_matching()
    {
        var weights = new int[4 * 6];
        var match = Hungarian.Maximize(weights, 4, 6);
        AssertOneToOne(match, 4, 6);
        Assert.Equal(0, Hungarian.Total(weights, 6, match));
    }

    [Fact]
    public void Empty_side_matches_nothing()
    {
        Assert.Empty(Hungarian.Maximize([], 0, 5));
        Assert.Equal(new[] { -1, -1 }, Hungarian.Maximize([], 2, 0));
    }

    [Fact]
    public void Large_contingency_table_completes_with_a_valid_optimum()
    {
        // A planted permutation worth 10⁶ per row beats any change of k ≥ 2 rows, which gains < k·500.
        const int n = 1000;
        var random = new Random(1000);
        var planted = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var weights = new int[n * n];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = random.Next(500);
        }

        for (int r = 0; r < n; r++)
        {
            weights[(r * n) + planted[r]] = 1_000_000;
        }

        Assert.Equal(planted, Hungarian.Maximize(weights, n, n));

        // Unstructured counts: the hard case for augmenting paths; check it finishes with a matching
        // at least as good as the identity and the greedy row-by-row choice.
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = random.Next(1000);
        }

        var match = Hungarian.Maximize(weights, n, n);
        AssertOneToOne(match, n, n);
        long total = Hungarian.Total(weights, n, match);
        Assert.True(total >= Hungarian.Total(weights, n, Enumerable.Range(0, n).ToArray()));
        Assert.True(total >= Hungarian.Total(weights, n, Greedy(weights, n)));
    }

    private static void CompareWithBruteForce(int rows, int columns, int low, int high)
    {
        var random = new Random((rows * 100) + columns + low);
        for (int trial = 0; trial < 25; trial++)
        {
            var weights = new int[rows * columns];
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = random.Next(low, high + 1);
            }

            var match = Hungarian.Maximize(weights, rows, columns);

            AssertOneToOne(match, rows, columns);
            Assert.Equal(BruteForce(weights, rows, columns), Hungarian.Total(weights, columns, match));
        }
    }

    /// <summary>Every row gets a distinct column, or −1 only when rows outnumber columns.</summary>
    private static void AssertOneToOne(int[] match, int rows, int columns)
    {
        Assert.Equal(rows, match.Length);
        var used = match.Where(c => c >= 0).ToArray();
        Assert.Equal(Math.Min(rows, columns), used.Length);
        Assert.Equal(used.Length, used.Distinct().Count());
        Assert.All(used, c => Assert.InRange(c, 0, columns - 1));
    }

    /// <summary>The best total over every injection of the shorter side into the longer one.</summary>
    private static long BruteForce(int[] weights, int rows, int columns)
    {
        bool transpose = rows > columns;
        int shortSide = Math.Min(rows, columns);
        int longSide = Math.Max(rows, columns);
        int Weight(int s, int l) => transpose ? weights[(l * columns) + s] : weights[(s * columns) + l];

        var taken = new bool[longSide];
        long Best(int s)
        {
            if (s == shortSide)
            {
                return 0;
            }

            long best = long.MinValue;
            for (int l = 0; l < longSide; l++)
            {
                if (!taken[l])
                {
                    taken[l] = true;
                    best = Math.Max(best, Weight(s, l) + Best(s + 1));
                    taken[l] = false;
                }
            }

            return best;
        }

        return Best(0);
    }

    private static int[] Greedy(int[] weights, int n)
    {
        var taken = new bool[n];
        var match = new int[n];
        for (int r = 0; r < n; r++)
        {
            int best = -1;
            for (int c = 0; c < n; c++)
            {
                if (!taken[c] && (best < 0 || weights[(r * n) + c] > weights[(r * n) + best]))
                {
                    best = c;
                }
            }

            taken[best] = true;
            match[r] = best;
        }

        return match;
    }
}
