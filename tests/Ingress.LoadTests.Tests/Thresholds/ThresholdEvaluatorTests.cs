using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Tests.Infrastructure;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Tests.Thresholds;

public sealed class ThresholdEvaluatorTests
{
    private static readonly Dictionary<string, long> EvenHosts = new() { ["r1"] = 100, ["r2"] = 100, ["r3"] = 100 };

    [Fact]
    public void Evaluate_NoThresholds_ReturnsNothingAndPasses()
    {
        var results = ThresholdEvaluator.Evaluate(Reports.Sample(), LoadThresholds.None);

        Assert.Empty(results);
        Assert.True(ThresholdEvaluator.AllPassed(results));
    }

    [Fact]
    public void Evaluate_MaxFailuresMet_Passes() =>
        AssertSingle(Reports.Sample(refused: 2, serverErrors: 1), new LoadThresholds { MaxFailures = 3 }, "max-failures", passed: true, actual: 3);

    [Fact]
    public void Evaluate_MaxFailuresExceededByTransportErrorsAnd5xx_Fails() =>
        AssertSingle(Reports.Sample(refused: 2, serverErrors: 1), new LoadThresholds { MaxFailures = 2 }, "max-failures", passed: false, actual: 3);

    [Fact]
    public void Evaluate_MinRpsMet_Passes() =>
        AssertSingle(Reports.Sample(requestsPerSecond: 1000), new LoadThresholds { MinRequestsPerSecond = 1000 }, "min-rps", passed: true, actual: 1000);

    [Fact]
    public void Evaluate_MinRpsMissed_Fails() =>
        AssertSingle(Reports.Sample(requestsPerSecond: 999.5), new LoadThresholds { MinRequestsPerSecond = 1000 }, "min-rps", passed: false, actual: 999.5);

    [Fact]
    public void Evaluate_MaxP99Met_Passes() =>
        AssertSingle(Reports.Sample(p99Ms: 4.9), new LoadThresholds { MaxP99Ms = 5 }, "max-p99-ms", passed: true, actual: 4.9);

    [Fact]
    public void Evaluate_MaxP99Exceeded_Fails() =>
        AssertSingle(Reports.Sample(p99Ms: 5.1), new LoadThresholds { MaxP99Ms = 5 }, "max-p99-ms", passed: false, actual: 5.1);

    [Fact]
    public void Evaluate_MaxP99WithNoResponses_FailsRatherThanPassingOnZero() =>
        AssertSingle(Reports.Sample(responses: 0, refused: 50), new LoadThresholds { MaxP99Ms = 5 }, "max-p99-ms", passed: false, actual: 0);

    [Fact]
    public void Evaluate_ExpectHostsMet_Passes() =>
        AssertSingle(Reports.Sample(hostNames: EvenHosts), new LoadThresholds { ExpectHosts = 3 }, "expect-hosts", passed: true, actual: 3);

    [Fact]
    public void Evaluate_ExpectHostsMissingAReplica_Fails() =>
        AssertSingle(Reports.Sample(hostNames: new Dictionary<string, long> { ["r1"] = 150, ["r2"] = 150 }), new LoadThresholds { ExpectHosts = 3 }, "expect-hosts", passed: false, actual: 2);

    [Fact]
    public void Evaluate_MaxImbalanceMet_Passes() =>
        AssertSingle(Reports.Sample(hostNames: new Dictionary<string, long> { ["r1"] = 105, ["r2"] = 100, ["r3"] = 95 }), new LoadThresholds { MaxHostImbalance = 0.1 }, "max-imbalance", passed: true, actual: 0.05);

    [Fact]
    public void Evaluate_MaxImbalanceExceeded_Fails() =>
        AssertSingle(Reports.Sample(hostNames: new Dictionary<string, long> { ["r1"] = 150, ["r2"] = 100, ["r3"] = 50 }), new LoadThresholds { MaxHostImbalance = 0.1 }, "max-imbalance", passed: false, actual: 0.5);

    [Fact]
    public void Evaluate_SeveralThresholdsOneBreached_ReportsEachAndFailsOverall()
    {
        var results = ThresholdEvaluator.Evaluate(
            Reports.Sample(requestsPerSecond: 500, p99Ms: 2),
            new LoadThresholds { MaxFailures = 0, MinRequestsPerSecond = 1000, MaxP99Ms = 10 });

        Assert.Equal(["max-failures", "min-rps", "max-p99-ms"], results.Select(r => r.Name));
        Assert.Equal([true, false, true], results.Select(r => r.Passed));
        Assert.False(ThresholdEvaluator.AllPassed(results));
        Assert.Equal("FAIL min-rps: 500 (limit >= 1000)", results[1].ToString());
    }

    private static void AssertSingle(LoadReport report, LoadThresholds thresholds, string name, bool passed, double actual)
    {
        var result = Assert.Single(ThresholdEvaluator.Evaluate(report, thresholds));
        Assert.Equal(name, result.Name);
        Assert.Equal(passed, result.Passed);
        Assert.Equal(actual, result.Actual, 6);
    }
}
