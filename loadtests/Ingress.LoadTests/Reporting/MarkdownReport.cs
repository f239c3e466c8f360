using System.Text;

namespace Ingress.LoadTests.Reporting;

/// <summary>The human-readable report: the summary, the latency plot and the per-second timeline.</summary>
internal static class MarkdownReport
{
    public static string Render(ReportDocument document, string plotFileName)
    {
        var report = document.Report;
        var md = new StringBuilder();
        md.AppendLine($"# Load report: {report.Scenario}");
        md.AppendLine();
        md.AppendLine($"- Target: `{report.Target}`");
        md.AppendLine($"- Load: {ConsoleSummary.Describe(report)}");
        md.AppendLine($"- Started: {report.StartedAt:u}; measured {Units.Seconds(report.DurationSeconds)} after {Units.Seconds(report.WarmupSeconds)} warm-up");
        md.AppendLine($"- Command: `{document.Command}`");
        md.AppendLine($"- Verdict: **{(document.Passed ? "passed" : "FAILED")}**");
        md.AppendLine();

        md.AppendLine("| requests/s | requests | failures | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        md.AppendLine($"| {Units.Rate(report.RequestsPerSecond)} | {Units.Count(report.Requests)} | {Units.Count(report.Failures)} | {Units.Ms(report.Latency.P50Ms)} | {Units.Ms(report.Latency.P90Ms)} | {Units.Ms(report.Latency.P99Ms)} | {Units.Ms(report.Latency.P999Ms)} | {Units.Ms(report.Latency.MaxMs)} |");
        md.AppendLine();
        md.AppendLine($"![Latency by percentile]({plotFileName})");
        md.AppendLine();

        md.AppendLine("## Responses and errors");
        md.AppendLine();
        md.AppendLine($"- Status codes: {ConsoleSummary.StatusCodes(report)}");
        var errors = report.TransportErrors;
        md.AppendLine($"- Transport errors: refused {Units.Count(errors.Refused)}, reset {Units.Count(errors.Reset)}, timeout {Units.Count(errors.Timeout)}, other {Units.Count(errors.Other)}");
        md.AppendLine();

        if (report.HostNames is { } hosts)
        {
            md.AppendLine("## Host names");
            md.AppendLine();
            md.AppendLine("| host | responses | share |");
            md.AppendLine("|---|---:|---:|");
            var total = 0L;
            foreach (var count in hosts.Values)
            {
                total += count;
            }

            foreach (var (name, count) in hosts)
            {
                md.AppendLine($"| {Escape(name)} | {Units.Count(count)} | {Units.Percent(total == 0 ? 0 : (double)count / total)} |");
            }

            md.AppendLine();
            md.AppendLine($"Imbalance (largest distance from the fair share): {Units.Percent(report.HostImbalance ?? 0)}.");
            md.AppendLine();
        }

        if (document.Thresholds.Count > 0)
        {
            md.AppendLine("## Thresholds");
            md.AppendLine();
            md.AppendLine("| threshold | limit | actual | verdict |");
            md.AppendLine("|---|---:|---:|---|");
            foreach (var result in document.Thresholds)
            {
                md.AppendLine($"| {result.Name} | {result.Comparison} {result.Limit:0.###} | {result.Actual:0.###} | {(result.Passed ? "pass" : "**FAIL**")} |");
            }

            md.AppendLine();
        }

        if (report.Actions.Count > 0)
        {
            md.AppendLine("## Timed actions");
            md.AppendLine();
            md.AppendLine("| action | due s | started s | took ms | outcome |");
            md.AppendLine("|---|---:|---:|---:|---|");
            foreach (var action in report.Actions)
            {
                md.AppendLine($"| {Escape(action.Name)} | {action.ScheduledAtSeconds:0.00} | {action.StartedAtSeconds:0.00} | {action.DurationMs:0} | {Escape(action.Error ?? "ok")} |");
            }

            md.AppendLine();
        }

        md.AppendLine("## Timeline");
        md.AppendLine();
        md.AppendLine("| elapsed s | req/s | failures | p99 ms |");
        md.AppendLine("|---:|---:|---:|---:|");
        foreach (var sample in report.Timeline)
        {
            md.AppendLine($"| {sample.ElapsedSeconds:0.0} | {Units.Rate(sample.RequestsPerSecond)} | {Units.Count(sample.Failures)} | {Units.Ms(sample.P99Ms)} |");
        }

        return md.ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
