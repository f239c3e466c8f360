using System.Globalization;
using System.Security;
using System.Text;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Reporting;

/// <summary>Draws the latency-by-percentile curve as a self-contained SVG, in the style of HdrHistogram's plotter.</summary>
/// <remarks>
/// The x axis is log-scaled on 1/(1-p), so 90 %, 99 %, 99.9 % ... sit one decade apart and the
/// tail gets as much room as the median. The y axis turns logarithmic when the tail is more than
/// 50 times the median, so that one stall does not flatten everything else into the floor.
/// </remarks>
internal static class LatencyPlot
{
    private const double Width = 900;
    private const double Height = 540;
    private const double Left = 80;
    private const double Right = Width - 40;
    private const double Top = 70;
    private const double Bottom = Height - 70;

    private static readonly (double Percentile, string Label)[] Markers = [(50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p99.9")];

    public static string Render(LoadReport report)
    {
        var svg = new StringBuilder();
        svg.AppendLine(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"));
        svg.AppendLine(Invariant($"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>"));
        Text(svg, Width / 2, 28, $"Latency by percentile: {report.Scenario}, {Units.Rate(report.RequestsPerSecond)} req/s, {Units.Count(report.Responses)} responses", "middle", size: 16, weight: "bold");
        Text(svg, Width / 2, 48, $"{report.Target} | {ConsoleSummary.Describe(report)} | {Units.Seconds(report.DurationSeconds)}", "middle", fill: "#555555");

        var points = report.Percentiles;
        if (points.Count == 0)
        {
            Frame(svg);
            Text(svg, (Left + Right) / 2, (Top + Bottom) / 2, "no responses were received", "middle", size: 16, fill: "#d62728");
            svg.AppendLine("</svg>");
            return svg.ToString();
        }

        var maxX = Math.Clamp(Math.Ceiling(Math.Log10(Math.Max(report.Latency.Count, 1))), 2, 6);
        var maxMs = Math.Max(report.Latency.MaxMs, 0.001);
        var logY = maxMs > 50 * Math.Max(report.Latency.P50Ms, 0.001);
        var yAxis = logY ? YAxis.Logarithmic(MinPositive(points), maxMs) : YAxis.Linear(maxMs);

        // Grid and tick labels.
        for (var decade = 0; decade <= maxX; decade++)
        {
            var x = MapX(decade, maxX);
            Line(svg, x, Top, x, Bottom, "#dddddd");
            Text(svg, x, Bottom + 18, PercentLabel(decade), "middle");
        }

        var median = MapX(Math.Log10(2), maxX);
        Line(svg, median, Top, median, Bottom, "#eeeeee");
        Text(svg, median, Bottom + 18, "50%", "middle", fill: "#888888");

        foreach (var tick in yAxis.Ticks)
        {
            var y = yAxis.Map(tick);
            Line(svg, Left, y, Right, y, "#dddddd");
            Text(svg, Left - 8, y + 4, tick.ToString("0.###", CultureInfo.InvariantCulture), "end");
        }

        Frame(svg);
        Text(svg, (Left + Right) / 2, Height - 22, "Percentile (log scale of 1/(1-p))", "middle", size: 13);
        var yTitle = logY ? "Latency (ms, log scale)" : "Latency (ms)";
        svg.AppendLine(Invariant($"<text x=\"22\" y=\"{(Top + Bottom) / 2}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 22 {(Top + Bottom) / 2})\">{yTitle}</text>"));

        // The curve.
        var path = new StringBuilder();
        foreach (var point in points)
        {
            var x = MapX(PercentileToX(point.Percentile, maxX), maxX);
            var y = yAxis.Map(point.LatencyMs);
            path.Append(path.Length == 0 ? "M" : " L").Append(Invariant($"{x:0.##},{y:0.##}"));
        }

        svg.AppendLine($"<path d=\"{path}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>");

        // Markers at the percentiles people quote, with a legend that repeats their values.
        var values = new[] { report.Latency.P50Ms, report.Latency.P90Ms, report.Latency.P99Ms, report.Latency.P999Ms };
        for (var i = 0; i < Markers.Length; i++)
        {
            var x = MapX(PercentileToX(Markers[i].Percentile, maxX), maxX);
            var y = yAxis.Map(values[i]);
            svg.AppendLine(Invariant($"<circle cx=\"{x:0.##}\" cy=\"{y:0.##}\" r=\"4.5\" fill=\"#d62728\"/>"));
            Text(svg, x - 6, y - 9, Markers[i].Label, "end", fill: "#d62728");
            Text(svg, Left + 14, Top + 20 + (i * 17), $"{Markers[i].Label,-6} {Units.Ms(values[i]),7} ms", "start", fill: "#d62728", family: "monospace");
        }

        Text(svg, Left + 14, Top + 20 + (Markers.Length * 17), $"{"max",-6} {Units.Ms(report.Latency.MaxMs),7} ms", "start", fill: "#555555", family: "monospace");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>Where a percentile sits on the x axis, in decades of 1/(1-p); 100 % is pinned to the right edge.</summary>
    internal static double PercentileToX(double percentile, double maxX)
    {
        var remaining = 1 - (percentile / 100);
        return remaining <= Math.Pow(10, -maxX) ? maxX : Math.Log10(1 / remaining);
    }

    private static string PercentLabel(int decade) => decade switch
    {
        0 => "0%",
        _ => (100 - (100 / Math.Pow(10, decade))).ToString("0.#####", CultureInfo.InvariantCulture) + "%",
    };

    private static double MapX(double x, double maxX) => Left + ((Right - Left) * x / maxX);

    private static double MinPositive(IReadOnlyList<PercentilePoint> points)
    {
        var min = double.MaxValue;
        foreach (var point in points)
        {
            if (point.LatencyMs > 0)
            {
                min = Math.Min(min, point.LatencyMs);
            }
        }

        return min == double.MaxValue ? 0.001 : min;
    }

    private static void Frame(StringBuilder svg) =>
        svg.AppendLine(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Right - Left}\" height=\"{Bottom - Top}\" fill=\"none\" stroke=\"#333333\"/>"));

    private static void Line(StringBuilder svg, double x1, double y1, double x2, double y2, string stroke) =>
        svg.AppendLine(Invariant($"<line x1=\"{x1:0.##}\" y1=\"{y1:0.##}\" x2=\"{x2:0.##}\" y2=\"{y2:0.##}\" stroke=\"{stroke}\"/>"));

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, double size = 12, string weight = "normal", string fill = "#222222", string family = "Helvetica, Arial, sans-serif") =>
        svg.AppendLine(Invariant($"<text x=\"{x:0.##}\" y=\"{y:0.##}\" text-anchor=\"{anchor}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{fill}\" font-family=\"{family}\" xml:space=\"preserve\">{SecurityElement.Escape(text)}</text>"));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Maps milliseconds to the plot's y pixels, with the ticks to label.</summary>
    private sealed record YAxis(Func<double, double> Map, IReadOnlyList<double> Ticks)
    {
        public static YAxis Linear(double maxMs)
        {
            var step = NiceStep(maxMs / 6);
            var top = Math.Ceiling(maxMs * 1.05 / step) * step;
            var ticks = new List<double>();
            for (var tick = 0.0; tick <= top + (step / 2); tick += step)
            {
                ticks.Add(tick);
            }

            return new YAxis(ms => Bottom - ((Bottom - Top) * Math.Clamp(ms, 0, top) / top), ticks);
        }

        public static YAxis Logarithmic(double minMs, double maxMs)
        {
            var low = Math.Floor(Math.Log10(minMs));
            var high = Math.Ceiling(Math.Log10(maxMs));
            if (high <= low)
            {
                high = low + 1;
            }

            var ticks = new List<double>();
            for (var decade = low; decade <= high; decade++)
            {
                ticks.Add(Math.Pow(10, decade));
            }

            return new YAxis(
                ms => Bottom - ((Bottom - Top) * (Math.Log10(Math.Clamp(ms, ticks[0], ticks[^1])) - low) / (high - low)),
                ticks);
        }

        // 1, 2 or 5 times a power of ten: the steps people read without effort.
        private static double NiceStep(double rough)
        {
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(rough, 1e-6))));
            var fraction = rough / magnitude;
            return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
        }
    }
}
