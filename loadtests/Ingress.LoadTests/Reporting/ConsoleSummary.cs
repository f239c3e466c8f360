using System.Text;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Reporting;

/// <summary>The final table printed to stdout after a run.</summary>
internal static class ConsoleSummary
{
    public static string Render(LoadReport report, IReadOnlyList<ThresholdResult> thresholds)
    {
        var rows = new List<(string Label, string Value)>
        {
            ("scenario", report.Scenario),
            ("target", report.Target),
            ("load", Describe(report)),
            ("measured", $"{Units.Seconds(report.DurationSeconds)} after {Units.Seconds(report.WarmupSeconds)} warm-up"),
            ("requests/s", Units.Rate(report.RequestsPerSecond)),
            ("requests", $"{Units.Count(report.Requests)} ({Units.Count(report.Responses)} responses)"),
            ("failures", $"{Units.Count(report.Failures)} (transport {Units.Count(report.TransportErrors.Total)}, 5xx {Units.Count(report.ServerErrors)})"),
            ("latency p50", Units.Ms(report.Latency.P50Ms) + " ms"),
            ("latency p90", Units.Ms(report.Latency.P90Ms) + " ms"),
            ("latency p99", Units.Ms(report.Latency.P99Ms) + " ms"),
            ("latency p99.9", Units.Ms(report.Latency.P999Ms) + " ms"),
            ("latency max", Units.Ms(report.Latency.MaxMs) + " ms"),
            ("status codes", StatusCodes(report)),
            ("transport errors", $"refused {Units.Count(report.TransportErrors.Refused)}, reset {Units.Count(report.TransportErrors.Reset)}, timeout {Units.Count(report.TransportErrors.Timeout)}, other {Units.Count(report.TransportErrors.Other)}"),
        };

        if (report.HostNames is { } hosts)
        {
            var total = 0L;
            foreach (var count in hosts.Values)
            {
                total += count;
            }

            foreach (var (name, count) in hosts)
            {
                rows.Add(("host " + name, $"{Units.Count(count)} ({Units.Percent(total == 0 ? 0 : (double)count / total)})"));
            }

            rows.Add(("host imbalance", $"{Units.Percent(report.HostImbalance ?? 0)} over {hosts.Count} host(s)"));
        }

        foreach (var action in report.Actions)
        {
            rows.Add(("action " + action.Name, action.Error ?? $"ok at {Units.Seconds(action.StartedAtSeconds ?? 0)}, took {Units.Ms(action.DurationMs ?? 0)} ms"));
        }

        foreach (var threshold in thresholds)
        {
            rows.Add(("threshold", threshold.ToString()));
        }

        var width = "metric".Length;
        foreach (var (label, _) in rows)
        {
            width = Math.Max(width, label.Length);
        }

        var text = new StringBuilder();
        text.Append("metric".PadRight(width)).AppendLine("  value");
        text.Append('-', width).Append("  ").Append('-', 40).AppendLine();
        foreach (var (label, value) in rows)
        {
            text.Append(label.PadRight(width)).Append("  ").AppendLine(value);
        }

        return text.ToString();
    }

    internal static string Describe(LoadReport report)
    {
        var rate = report.TargetRequestsPerSecond is { } target ? $" at {Units.Rate(target)} req/s" : string.Empty;
        return $"{report.Model} model{rate}, {report.Connections} connections, keep-alive {(report.KeepAlive ? "on" : "off")}";
    }

    internal static string StatusCodes(LoadReport report)
    {
        if (report.StatusCodes.Count == 0)
        {
            return "none";
        }

        var parts = new List<string>();
        foreach (var (code, count) in report.StatusCodes)
        {
            parts.Add($"{code}: {Units.Count(count)}");
        }

        return string.Join(", ", parts);
    }
}
