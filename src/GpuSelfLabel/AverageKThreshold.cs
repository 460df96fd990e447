namespace GpuSelfLabel;

/// <summary>The Average-K threshold of ops.md §8 and the sets it defines.</summary>
/// <param name="Threshold">t = ½(s_(m) + s_(m+1)) with the scores sorted descending and m = round(K·N).</param>
/// <param name="Accuracy">Fraction of samples whose true-class score is ≥ t; null when no labels were given.</param>
/// <param name="MeanSetSize">Number of scores ≥ t divided by N (K exactly unless s_(m) = s_(m+1)).</param>
public sealed record AverageKThreshold(double Threshold, double? Accuracy, double MeanSetSize);
