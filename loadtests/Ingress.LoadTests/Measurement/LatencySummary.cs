using HdrHistogram;

namespace Ingress.LoadTests.Measurement;

/// <summary>The latency figures people compare, in milliseconds.</summary>
public sealed record LatencySummary(
    long Count,
    double MinMs,
    double MeanMs,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs)
{
    /// <summary>All zero, for a run that got no responses.</summary>
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Summarises a histogram recorded in microseconds.</summary>
    internal static LatencySummary FromMicroseconds(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return Empty;
        }

        return new LatencySummary(
            histogram.TotalCount,
            ToMs(histogram.GetValueAtPercentile(0)),
            histogram.GetMean() / 1000.0,
            ToMs(histogram.GetValueAtPercentile(50)),
            ToMs(histogram.GetValueAtPercentile(90)),
            ToMs(histogram.GetValueAtPercentile(99)),
            ToMs(histogram.GetValueAtPercentile(99.9)),
            ToMs(histogram.GetMaxValue()));
    }

    /// <summary>The percentile curve to plot: 40 points per decade of 1/(1-p), plus the quoted percentiles and the max.</summary>
    /// <remarks>
    /// Sampled with the same <see cref="HistogramBase.GetValueAtPercentile"/> as the summary, so the
    /// plot's p50/p90/p99/p99.9 markers sit exactly on the curve. Sampling stops where the count runs
    /// out of resolution (1/(1-p) beyond the number of values), since past that every percentile is the max.
    /// </remarks>
    internal static IReadOnlyList<PercentilePoint> CurveFromMicroseconds(HistogramBase histogram)
    {
        var points = new List<PercentilePoint>();
        if (histogram.TotalCount == 0)
        {
            return points;
        }

        const int StepsPerDecade = 40;
        var decades = Math.Min(Math.Log10(histogram.TotalCount), 6);
        var percentiles = new SortedSet<double> { 50, 100 };
        for (var step = 0; step <= decades * StepsPerDecade; step++)
        {
            percentiles.Add(Math.Round(100 - (100 * Math.Pow(10, -(double)step / StepsPerDecade)), 9));
        }

        foreach (var percentile in percentiles)
        {
            points.Add(new PercentilePoint(percentile, ToMs(histogram.GetValueAtPercentile(percentile))));
        }

        return points;
    }

    private static double ToMs(long micros) => micros / 1000.0;
}

/// <summary>One point of the latency-by-percentile curve.</summary>
public sealed record PercentilePoint(double Percentile, double LatencyMs);
