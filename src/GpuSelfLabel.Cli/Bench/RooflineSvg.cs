using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using GpuSelfLabel.Benchmarking;

namespace GpuSelfLabel.Cli.Bench;

/// <summary>
/// The roofline-style chart of a <c>gsl bench</c> run as a standalone SVG: one group of bars per
/// operation, one bar per size, the height its effective bandwidth as a fraction of the measured copy
/// bandwidth (the dashed line at 100%). Built as XML elements, so names from the device are escaped.
/// </summary>
internal static class RooflineSvg
{
    private const double BarWidth = 14;
    private const double GroupGap = 18;
    private const double Left = 72;
    private const double Right = 24;
    private const double Top = 64;
    private const double PlotHeight = 300;
    private const double Bottom = 150;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>
    /// Refuses, before any benchmark runs, an <c>--svg</c> path the chart could not be written to: a
    /// folder, or a place where this user cannot create files (the probe file is removed at once).
    /// </summary>
    public static void CheckTarget(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new GslArgumentException("svg", $"'{full}' is a directory; give a file name such as {Path.Combine(full, "roofline.svg")}");
        }

        // The nearest folder that exists must be writable: the missing ones are made when the chart is.
        string? folder = Path.GetDirectoryName(full);
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder))
            {
                throw new GslArgumentException("svg", $"cannot write '{full}': '{folder}' is a file, not a directory");
            }

            folder = Path.GetDirectoryName(folder);
        }

        folder ??= Path.GetPathRoot(full)!;
        string probe = Path.Combine(folder, $".gsl-svg-probe-{Environment.ProcessId}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GslArgumentException("svg", $"cannot write '{full}': no file can be created in '{folder}'");
        }
    }

    /// <summary>Writes the chart to a sibling temporary file and renames it into place, so a failure leaves no half-written SVG.</summary>
    public static void Write(BenchmarkReport report, string path)
    {
        string full = Path.GetFullPath(path);
        string staged = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.gsl-{Environment.ProcessId}.new");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);

            // UTF-8 without a byte-order mark: some SVG viewers and web servers trip over one.
            using (var writer = XmlWriter.Create(staged, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
            {
                Build(report).Save(writer);
            }

            File.Move(staged, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Discard(staged);
            throw new GslArgumentException("svg", $"cannot write '{full}': {e.Message}");
        }
    }

    private static void Discard(string staged)
    {
        try
        {
            File.Delete(staged);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was staged there, or it cannot be removed either: the write's own error is the one to report.
        }
    }

    public static XDocument Build(BenchmarkReport report)
    {
        var operations = report.Results.Select(r => r.Operation.Name).Distinct().ToList();
        var sizes = report.Results.Select(r => r.Size).Distinct().ToList();
        double groupWidth = (sizes.Count * BarWidth) + GroupGap;
        double width = Math.Max(520, Left + (operations.Count * groupWidth) + Right);
        double height = Top + PlotHeight + Bottom;
        double largest = report.Results.Select(r => r.FractionOf(report.Bandwidth) ?? 0).DefaultIfEmpty(0).Max();
        double step = TickStep(Math.Max(1.2, largest * 1.05));
        double yMax = Math.Max(1.2, Math.Ceiling(largest * 1.05 / step) * step);
        double Y(double fraction) => Top + PlotHeight - (PlotHeight * Math.Min(fraction, yMax) / yMax);

        var root = new XElement(Svg + "svg",
            new XAttribute("width", F(width)), new XAttribute("height", F(height)),
            new XAttribute("viewBox", $"0 0 {F(width)} {F(height)}"),
            new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", "11"));
        root.Add(new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")));
        root.Add(Text(Left, 22, $"gsl bench: {report.Backend} ({report.Device})", "start", 14, "bold"));
        root.Add(Text(Left, 42, string.Create(CultureInfo.InvariantCulture,
            $"effective bandwidth (minimal bytes ÷ median time) as a fraction of the measured copy bandwidth, {report.Bandwidth.GigabytesPerSecond:F1} GB/s"), "start", 11, null));

        for (double tick = 0; tick <= yMax + 1e-9; tick += step)
        {
            double y = Y(tick);
            root.Add(new XElement(Svg + "line",
                new XAttribute("x1", F(Left)), new XAttribute("x2", F(width - Right)), new XAttribute("y1", F(y)), new XAttribute("y2", F(y)),
                new XAttribute("stroke", "#dddddd")));
            root.Add(Text(Left - 6, y + 4, string.Create(CultureInfo.InvariantCulture, $"{tick * 100:F0}%"), "end", 11, null));
        }

        root.Add(new XElement(Svg + "line",
            new XAttribute("x1", F(Left)), new XAttribute("x2", F(width - Right)), new XAttribute("y1", F(Y(1))), new XAttribute("y2", F(Y(1))),
            new XAttribute("stroke", "black"), new XAttribute("stroke-dasharray", "6 4")));
        root.Add(Text(width - Right, Y(1) - 5, string.Create(CultureInfo.InvariantCulture, $"copy: {report.Bandwidth.GigabytesPerSecond:F1} GB/s"), "end", 11, null));
        var axisLabel = Text(18, Top + (PlotHeight / 2), "fraction of copy bandwidth", "middle", 11, null);
        axisLabel.Add(new XAttribute("transform", $"rotate(-90 18 {F(Top + (PlotHeight / 2))})"));
        root.Add(axisLabel);

        for (int g = 0; g < operations.Count; g++)
        {
            double groupLeft = Left + (GroupGap / 2) + (g * groupWidth);
            for (int s = 0; s < sizes.Count; s++)
            {
                var result = report.Results.FirstOrDefault(r => r.Operation.Name == operations[g] && r.Size == sizes[s]);
                if (result is null)
                {
                    continue;
                }

                double x = groupLeft + (s * BarWidth);
                if (result.FractionOf(report.Bandwidth) is not { } fraction)
                {
                    root.Add(Text(x + (BarWidth / 2), Y(0) - 4, "×", "middle", 11, null));
                    continue;
                }

                double top = Y(fraction);
                root.Add(new XElement(Svg + "rect",
                    new XAttribute("x", F(x + 1)), new XAttribute("y", F(top)),
                    new XAttribute("width", F(BarWidth - 2)), new XAttribute("height", F(Y(0) - top)),
                    new XAttribute("fill", Palette[s % Palette.Length]),
                    new XElement(Svg + "title", string.Create(CultureInfo.InvariantCulture,
                        $"{result.Operation.Name} {result.Size}: {result.GigabytesPerSecond:F2} GB/s, {fraction * 100:F1}% of copy, {result.MedianSeconds * 1e3:F3} ms"))));
            }

            double labelX = groupLeft + (sizes.Count * BarWidth / 2);
            var label = Text(labelX, Y(0) + 14, operations[g], "end", 11, null);
            label.Add(new XAttribute("transform", $"rotate(-40 {F(labelX)} {F(Y(0) + 14)})"));
            root.Add(label);
        }

        root.Add(new XElement(Svg + "line",
            new XAttribute("x1", F(Left)), new XAttribute("x2", F(width - Right)), new XAttribute("y1", F(Y(0))), new XAttribute("y2", F(Y(0))),
            new XAttribute("stroke", "black")));

        double legendY = height - 20;
        for (int s = 0; s < sizes.Count; s++)
        {
            double x = Left + (s * 130);
            root.Add(new XElement(Svg + "rect", new XAttribute("x", F(x)), new XAttribute("y", F(legendY - 10)),
                new XAttribute("width", "12"), new XAttribute("height", "12"), new XAttribute("fill", Palette[s % Palette.Length])));
            root.Add(Text(x + 16, legendY, $"N×K = {sizes[s].Rows}×{sizes[s].Columns}", "start", 11, null));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>A gridline spacing of 0.2 or more from 1, 2, 2.5, 5 × 10^e that gives at most eight lines up to <paramref name="top"/>.</summary>
    private static double TickStep(double top)
    {
        double[] mantissas = [1, 2, 2.5, 5];
        for (double scale = 0.1; ; scale *= 10)
        {
            foreach (var m in mantissas)
            {
                double step = m * scale;
                if (step >= 0.2 - 1e-12 && top / step <= 8)
                {
                    return step;
                }
            }
        }
    }

    private static XElement Text(double x, double y, string text, string anchor, double size, string? weight)
    {
        var element = new XElement(Svg + "text",
            new XAttribute("x", F(x)), new XAttribute("y", F(y)), new XAttribute("text-anchor", anchor),
            new XAttribute("font-size", F(size)), text);
        if (weight is not null)
        {
            element.Add(new XAttribute("font-weight", weight));
        }

        return element;
    }

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
