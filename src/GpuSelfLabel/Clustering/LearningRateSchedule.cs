namespace GpuSelfLabel.Clustering;

/// <summary>The learning rate at a point of training, for each <see cref="ScheduleKind"/>.</summary>
internal static class LearningRateSchedule
{
    /// <summary>The rate after <paramref name="progress"/> ∈ [0, 1) of all steps.</summary>
    public static double Rate(ScheduleKind kind, double baseRate, double progress) => kind switch
    {
        ScheduleKind.Cosine => baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
        ScheduleKind.Step => baseRate * (progress < 0.5 ? 1 : progress < 0.75 ? 0.1 : 0.01),
        _ => baseRate,
    };
}
