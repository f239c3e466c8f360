using Ingress.LoadTests.Measurement;
using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Tests.Infrastructure;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Tests.Reporting;

public sealed class ConsoleSummaryTests
{
    [Fact]
    public void Render_ReportWithHostsAndThresholds_ListsEveryFigureInAlignedRows()
    {
        var report = Reports.Sample(p99Ms: 4.2, refused: 3, hostNames: new Dictionary<string, long> { ["r1"] = 6000, ["r2"] = 4000 });
        var results = ThresholdEvaluator.Evaluate(report, new LoadThresholds { MaxFailures = 0 });

        var lines = ConsoleSummary.Render(report, results).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains(lines, l => l.StartsWith("requests/s", StringComparison.Ordinal) && l.EndsWith("1,000.0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("latency p99 ", StringComparison.Ordinal) && l.Contains("4.20 ms", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("host r1", StringComparison.Ordinal) && l.Contains("60.0 %", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("refused 3", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("FAIL max-failures: 3 (limit <= 0)", StringComparison.Ordinal));
        var valueColumn = lines[0].IndexOf("value", StringComparison.Ordinal);
        Assert.All(lines.Skip(2), l => Assert.Equal(' ', l[valueColumn - 1]));
    }

    [Fact]
    public void Format_ProgressSample_ShowsElapsedRateFailuresAndP99()
    {
        var line = ProgressPrinter.Format(new IntervalSample(false, 3, 12_000, 12_000, 1, 1.5, 4, 2.25));

        Assert.Equal("[measured    3.0s]   12,000.0 req/s  failures      4  p99 so far    2.25 ms", line);
    }
}
