using TorchSharp;

namespace GpuSelfLabel.TorchSharp.Interop;

using Tensor = global::TorchSharp.torch.Tensor;

/// <summary>
/// The checks a TorchSharp argument passes before any work starts: present, float32 or float64, of the
/// right rank and shape, on the same device as the first argument. Values (finiteness, normalised
/// rows) are checked by the library's own operation, which names the first bad row.
/// </summary>
internal static class TorchChecks
{
    public static void Floating(Tensor? tensor, string argument, int rank, string layout)
    {
        Present(tensor, argument);
        if (tensor!.dtype is not (torch.ScalarType.Float32 or torch.ScalarType.Float64))
        {
            throw new GslArgumentException(argument, $"has dtype {tensor.dtype}; float32 or float64 is expected (float64 is computed in float32 and returned as float64)");
        }

        if (tensor.dim() != rank)
        {
            throw new GslArgumentException(argument, $"must be {layout} ({rank}-D), got shape {Shape(tensor)}");
        }
    }

    public static void Present(Tensor? tensor, string argument)
    {
        if (tensor is null)
        {
            throw new GslArgumentException(argument, "must not be null");
        }

        if (tensor.IsInvalid)
        {
            throw new GslArgumentException(argument, "has been disposed");
        }
    }

    public static void SameShape(Tensor first, string firstArgument, Tensor second, string secondArgument)
    {
        if (!first.shape.SequenceEqual(second.shape))
        {
            throw new GslArgumentException(secondArgument, $"has shape {Shape(second)} but {firstArgument} has shape {Shape(first)}");
        }
    }

    public static void SameDevice(Tensor first, string firstArgument, Tensor second, string secondArgument)
    {
        if (first.device_type != second.device_type || first.device_index != second.device_index)
        {
            throw new GslArgumentException(secondArgument, $"is on {second.device} but {firstArgument} is on {first.device}; move both to one device");
        }
    }

    /// <summary>
    /// Class labels as the library takes them: a 1-D int64 (or int32) tensor of <paramref name="rows"/>
    /// entries on the device of <paramref name="like"/>, read into host integers (B values, a negligible
    /// copy), each checked to lie in [0, <paramref name="classes"/>).
    /// </summary>
    public static int[] Labels(Tensor? labels, string argument, long rows, long classes, Tensor like, string likeArgument)
    {
        Present(labels, argument);
        if (labels!.dtype is not (torch.ScalarType.Int64 or torch.ScalarType.Int32))
        {
            throw new GslArgumentException(argument, $"has dtype {labels.dtype}; int64 class indices are expected");
        }

        if (labels.dim() != 1 || labels.shape[0] != rows)
        {
            throw new GslArgumentException(argument, $"must be a vector of {rows} class indices (one per row of {likeArgument}), got shape {Shape(labels)}");
        }

        SameDevice(like, likeArgument, labels, argument);
        using var host = labels.detach().cpu().to(torch.ScalarType.Int64).contiguous();
        var values = host.data<long>().ToArray();
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            long value = values[i];
            if (value < 0 || value >= classes)
            {
                throw new GslArgumentException(argument, $"row {i}: class {value} lies outside [0, {classes})", i);
            }

            result[i] = (int)value;
        }

        return result;
    }

    public static string Shape(Tensor tensor) => "(" + string.Join(", ", tensor.shape) + ")";
}
