using System.Text;
using System.Text.Json;

namespace Ingress.LoadTests.Reporting;

/// <summary>Writes a run's JSON, Markdown and SVG into its results folder.</summary>
public static class ReportFiles
{
    public const string JsonFileName = "report.json";
    public const string MarkdownFileName = "report.md";
    public const string PlotFileName = "latency.svg";

    /// <summary>Writes the three files, creating <paramref name="directory"/> if needed.</summary>
    public static async Task<ReportPaths> WriteAsync(string directory, ReportDocument document, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(document);
        Directory.CreateDirectory(directory);

        var paths = new ReportPaths(
            Path.Combine(directory, JsonFileName),
            Path.Combine(directory, MarkdownFileName),
            Path.Combine(directory, PlotFileName));

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        await File.WriteAllTextAsync(paths.Json, JsonSerializer.Serialize(document, ReportJsonContext.Default.ReportDocument), utf8, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(paths.Markdown, MarkdownReport.Render(document, PlotFileName), utf8, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(paths.Plot, LatencyPlot.Render(document.Report), utf8, cancellationToken).ConfigureAwait(false);
        return paths;
    }
}

/// <summary>Where <see cref="ReportFiles.WriteAsync"/> put each file.</summary>
public sealed record ReportPaths(string Json, string Markdown, string Plot);
