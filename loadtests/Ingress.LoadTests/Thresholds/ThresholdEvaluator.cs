using Ingress.LoadTests.Reporting;

namespace Ingress.LoadTests.Thresholds;


/// <summary>Checks a <see cref="LoadReport"/> against <see cref="LoadThresholds"/>.</summary>
public static class ThresholdEvaluator
{
    /// <summary>One result per threshold that is set, in a fixed order.</summary>
    public static IReadOnlyList<ThresholdResult> Evaluate(LoadReport report, LoadThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(thresholds);

        var results = new List<ThresholdResult>();
        if (thresholds.MaxFailures is { } maxFailures)
        {
            results.Add(new ThresholdResult("max-failures", "<=", maxFailures, report.Failures, report.Failures <= maxFailures));
        }

        if (thresholds.MinRequestsPerSecond is { } minRps)
        {
            results.Add(new ThresholdResult("min-rps", ">=", minRps, report.RequestsPerSecond, report.RequestsPerSecond >= minRps));
        }

        if (thresholds.MaxP99Ms is { } maxP99)
        {
            // A run without a single response has no latency to speak of; that is a failure, not a fast p99.
            var passed = report.Latency.Count > 0 && report.Latency.P99Ms <= maxP99;
            results.Add(new ThresholdResult("max-p99-ms", "<=", maxP99, report.Latency.P99Ms, passed));
        }

        if (thresholds.ExpectHosts is { } expectHosts)
        {
            var seen = report.HostNames?.Count ?? 0;
            results.Add(new ThresholdResult("expect-hosts", "==", expectHosts, seen, seen == expectHosts));
        }

        if (thresholds.MaxHostImbalance is { } maxImbalance)
        {
            var imbalance = report.HostImbalance;
            var passed = imbalance is not null && report.HostNames!.Count > 0 && imbalance <= maxImbalance;
            results.Add(new ThresholdResult("max-imbalance", "<=", maxImbalance, imbalance ?? double.NaN, passed));
        }

        return results;
    }

    /// <summary>True when every result passed (or none was set).</summary>
    public static bool AllPassed(IReadOnlyList<ThresholdResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var result in results)
        {
            if (!result.Passed)
            {
                return false;
            }
        }

        return true;
    }
}
