namespace GpuSelfLabel.Backends;

/// <summary>
/// The operation families a GPU backend has no kernel file for yet, run through
/// <see cref="HostStaging"/>: inputs are copied to the host, the CPU kernel runs, outputs are copied
/// back. Results are exactly the CPU backend's; only the speed is not a GPU's. A backend that gains
/// a kernel for a method implements that interface method explicitly, which takes precedence over
/// the public method here; once every GPU backend has it, the method is deleted from this class.
/// </summary>
// The methods implement IBackendKernels members in the derived backends, so they cannot be static.
#pragma warning disable CA1822
internal abstract class HostStagedKernels
{
    public DType PseudoLabelIterateType => HostStaging.Cpu.PseudoLabelIterateType;

    public void AverageKKeyHistogram(Tensor scores, Tensor? excludedLabels, uint prefix, int prefixBits, int binBits, long[] histogram)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.AverageKKeyHistogram(s.In(scores), s.In(excludedLabels), prefix, prefixBits, binBits, histogram);
    }

    public void AverageKTieCounts(Tensor scores, Tensor? excludedLabels, uint key, long[] rowCounts)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.AverageKTieCounts(s.In(scores), s.In(excludedLabels), key, rowCounts);
    }

    public void AverageKMarkTargets(Tensor scores, Tensor labels, bool excludeLabels, uint key, long[] tieQuota, Tensor targets)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.AverageKMarkTargets(s.In(scores), s.In(labels), excludeLabels, key, tieQuota, s.Out(targets));
        s.Commit();
    }

    public uint AverageKMaxKeyBelow(Tensor scores, uint key)
    {
        using var s = new HostStaging();
        return HostStaging.Cpu.AverageKMaxKeyBelow(s.In(scores), key);
    }

    public long AverageKLabelHits(Tensor scores, Tensor labels, float value)
    {
        using var s = new HostStaging();
        return HostStaging.Cpu.AverageKLabelHits(s.In(scores), s.In(labels), value);
    }

    public double TwoHeadSoftmaxHead(Tensor logits, Tensor labels, Tensor probs, Tensor dlogits, double scale)
    {
        using var s = new HostStaging();
        double loss = HostStaging.Cpu.TwoHeadSoftmaxHead(s.In(logits), s.In(labels), s.Out(probs), s.Out(dlogits), scale);
        s.Commit();
        return loss;
    }

    public double TwoHeadMultilabelHead(Tensor logits, Tensor targets, Tensor dlogits, double scale)
    {
        using var s = new HostStaging();
        double loss = HostStaging.Cpu.TwoHeadMultilabelHead(s.In(logits), s.In(targets), s.Out(dlogits), scale);
        s.Commit();
        return loss;
    }

    public void CollisionCrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits, Tensor dtargets)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.CollisionCrossEntropyForwardBackward(s.In(logits), s.In(targets), s.Out(losses), s.Out(dlogits), s.Out(dtargets));
        s.Commit();
    }

    public void CrossEntropyForwardBackward(Tensor logits, Tensor targets, Tensor losses, Tensor dlogits)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.CrossEntropyForwardBackward(s.In(logits), s.In(targets), s.Out(losses), s.Out(dlogits));
        s.Commit();
    }

    public void PseudoLabelConvert(Tensor source, Tensor destination)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.PseudoLabelConvert(s.In(source), s.Out(destination));
        s.Commit();
    }

    public double PseudoLabelMoments(Tensor probs, Tensor labels, Tensor columnSums)
    {
        using var s = new HostStaging();
        double value = HostStaging.Cpu.PseudoLabelMoments(s.In(probs), s.In(labels), s.Out(columnSums));
        s.Commit();
        return value;
    }

    public EmStepReport EmStep(Tensor probs, Tensor current, Tensor weights, Tensor next, Tensor nextColumnSums)
    {
        using var s = new HostStaging();
        var report = HostStaging.Cpu.EmStep(s.In(probs), s.In(current), s.In(weights), s.Out(next), s.Out(nextColumnSums));
        s.Commit();
        return report;
    }

    public double Sum(Tensor vector)
    {
        using var s = new HostStaging();
        return HostStaging.Cpu.Sum(s.In(vector));
    }

    public void SelfClassifierRowStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SelfClassifierRowStatistics(s.In(logits), s.Workspace(workspace));
        s.Commit();
    }

    public void SelfClassifierColumnStatistics(Tensor logits, SelfClassifierWorkspace workspace)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SelfClassifierColumnStatistics(s.In(logits), s.Workspace(workspace));
        s.Commit();
    }

    public double SelfClassifierLoss(Tensor logits, SelfClassifierWorkspace workspace)
    {
        using var s = new HostStaging();
        double loss = HostStaging.Cpu.SelfClassifierLoss(s.In(logits), s.Workspace(workspace));
        s.Commit();
        return loss;
    }

    public void SelfClassifierGradient(Tensor logits, SelfClassifierWorkspace workspace, Tensor dlogits)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SelfClassifierGradient(s.In(logits), s.Workspace(workspace), s.Out(dlogits));
        s.Commit();
    }

    public void SinkhornRowLogSumExp(Tensor matrix, long firstRow, double scale, Tensor? columnShift, double offset, Tensor output)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SinkhornRowLogSumExp(s.In(matrix), firstRow, scale, s.In(columnShift), offset, s.Out(output));
        s.Commit();
    }

    public void SinkhornColumnLogSumExp(Tensor matrix, long firstRow, double scale, Tensor rowShift, double offset, Tensor output, bool accumulate)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SinkhornColumnLogSumExp(s.In(matrix), firstRow, scale, s.In(rowShift), offset, s.Out(output), accumulate);
        s.Commit();
    }

    public double SinkhornSelaPass(Tensor logits, long firstRow, double lambda, Tensor logR, Tensor rowState, Tensor columnSums, bool accumulate, bool measureError)
    {
        using var s = new HostStaging();
        double error = HostStaging.Cpu.SinkhornSelaPass(s.In(logits), firstRow, lambda, s.In(logR), s.Out(rowState), s.Out(columnSums), accumulate, measureError);
        s.Commit();
        return error;
    }

    public void SinkhornSelaFinalize(Tensor logits, long firstRow, double lambda, Tensor logR, Tensor rowLse, Tensor rowState, double logRows, Tensor logC, Tensor labels, Tensor? codes)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SinkhornSelaFinalize(s.In(logits), firstRow, lambda, s.In(logR), s.In(rowLse), s.In(rowState), logRows, s.Out(logC), s.Out(labels), s.Out(codes));
        s.Commit();
    }

    public void SinkhornExpShifted(Tensor matrix, double scale, Tensor? columnShift, Tensor rowShift, double offset, Tensor output)
    {
        using var s = new HostStaging();
        HostStaging.Cpu.SinkhornExpShifted(s.In(matrix), scale, s.In(columnShift), s.In(rowShift), offset, s.Out(output));
        s.Commit();
    }
}
#pragma warning restore CA1822
