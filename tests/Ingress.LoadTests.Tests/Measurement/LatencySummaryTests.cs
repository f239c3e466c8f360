using System.Diagnostics;
using HdrHistogram;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Tests.Measurement;

public sealed class LatencySummaryTests
{
    [Fact]
    public void FromMicroseconds_UniformOneToTenThousand_ReportsKnownPercentiles()
    {
        var histogram = LatencyRecorder.CreateAccumulator();
        for (var micros = 1; micros <= 10_000; micros++)
        {
            histogram.RecordValue(micros);
        }

        var summary = LatencySummary.FromMicroseconds(histogram);

        Assert.Equal(10_000, summary.Count);
        AssertNear(5.0, summary.P50Ms);
        AssertNear(9.0, summary.P90Ms);
        AssertNear(9.9, summary.P99Ms);
        AssertNear(9.99, summary.P999Ms);
        AssertNear(10.0, summary.MaxMs);
        AssertNear(0.001, summary.MinMs);
        AssertNear(5.0005, summary.MeanMs);
    }

    [Fact]
    public void FromMicroseconds_BimodalWithRareStalls_PutsStallsOnlyInTheTail()
    {
        var histogram = LatencyRecorder.CreateAccumulator();
        histogram.RecordValueWithCount(1_000, 9_950);    // 1 ms, 99.5 %
        histogram.RecordValueWithCount(200_000, 50);     // 200 ms, 0.5 %

        var summary = LatencySummary.FromMicroseconds(histogram);

        AssertNear(1.0, summary.P50Ms);
        AssertNear(1.0, summary.P99Ms);
        AssertNear(200.0, summary.P999Ms);
        AssertNear(200.0, summary.MaxMs);
    }

    [Fact]
    public void FromMicroseconds_Empty_IsAllZero()
    {
        Assert.Equal(LatencySummary.Empty, LatencySummary.FromMicroseconds(LatencyRecorder.CreateAccumulator()));
        Assert.Empty(LatencySummary.CurveFromMicroseconds(LatencyRecorder.CreateAccumulator()));
    }

    [Fact]
    public void CurveFromMicroseconds_KnownDistribution_RisesMonotonicallyToOneHundredPercent()
    {
        var histogram = LatencyRecorder.CreateAccumulator();
        for (var micros = 1; micros <= 10_000; micros++)
        {
            histogram.RecordValue(micros);
        }

        var curve = LatencySummary.CurveFromMicroseconds(histogram);

        Assert.True(curve.Count > 20);
        Assert.Equal(100, curve[^1].Percentile);
        AssertNear(10.0, curve[^1].LatencyMs);
        for (var i = 1; i < curve.Count; i++)
        {
            Assert.True(curve[i].Percentile >= curve[i - 1].Percentile);
            Assert.True(curve[i].LatencyMs >= curve[i - 1].LatencyMs);
        }
    }

    [Fact]
    public void CurveFromMicroseconds_QuotedPercentiles_LieExactlyOnTheCurve()
    {
        var histogram = LatencyRecorder.CreateAccumulator();
        histogram.RecordValueWithCount(800, 9_900);
        histogram.RecordValueWithCount(85_000, 90);
        histogram.RecordValueWithCount(175_000, 10);

        var summary = LatencySummary.FromMicroseconds(histogram);
        var curve = LatencySummary.CurveFromMicroseconds(histogram).ToDictionary(p => p.Percentile, p => p.LatencyMs);

        Assert.Equal(summary.P50Ms, curve[50]);
        Assert.Equal(summary.P90Ms, curve[90]);
        Assert.Equal(summary.P99Ms, curve[99]);
        Assert.Equal(summary.P999Ms, curve[99.9]);
        Assert.Equal(summary.MaxMs, curve[100]);
    }

    [Fact]
    public void Record_TwoMillisecondsOfStopwatchTicks_LandsInTheTwoMillisecondBucket()
    {
        var recorder = new LatencyRecorder();
        var origin = Stopwatch.GetTimestamp();
        recorder.Record(origin, origin + (Stopwatch.Frequency * 2 / 1000));
        recorder.Record(origin, origin - 5); // a clock that went backwards clamps to zero instead of throwing

        var interval = recorder.TakeInterval(null);

        Assert.Equal(2, interval.TotalCount);
        AssertNear(2.0, interval.GetMaxValue() / 1000.0);
    }

    // HdrHistogram with 3 significant digits is exact to 0.1 %.
    private static void AssertNear(double expected, double actual) =>
        Assert.InRange(actual, expected * 0.998, expected * 1.002);
}
