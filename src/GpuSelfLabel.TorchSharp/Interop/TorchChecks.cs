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

        if (tensor.shape.Contains(0))
        {
            throw new GslArgumentException(argument, $"is empty, shape {Shape(tensor)}; every dimension of {layout} must be at least 1");
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>, renaming the core library's argument names (the kebab-case of
    /// <c>gsl op</c>: "tau-row", "max-iters") in its <see cref="GslArgumentException"/> to this
    /// interop's parameter names ("tau_row", "max_iters"), so an error names what the caller typed.
    /// </summary>
    public static T Named<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (GslArgumentException e) when (ParameterNames.TryGetValue(e.Argument, out var name))
        {
            throw new GslArgumentException(name, e.Problem, e.Row);
        }
    }

    /// <summary>As <see cref="Named{T}(Func{T})"/> for a call that writes into its outputs and returns nothing.</summary>
    public static void Named(Action body) => Named(() =>
    {
        body();
        return true;
    });

    private static readonly Dictionary<string, string> ParameterNames = new(StringComparer.Ordinal)
    {
        ["logits-softmax"] = "softmax_logits",
        ["logits-multilabel"] = "multilabel_logits",
        ["tau-row"] = "tau_row",
        ["tau-col"] = "tau_col",
        ["global-views"] = "global_views",
        ["max-iters"] = "max_iters",
        ["iters"] = "iterations",
    };

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
