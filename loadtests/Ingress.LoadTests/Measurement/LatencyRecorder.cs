using System.Diagnostics;
using HdrHistogram;

namespace Ingress.LoadTests.Measurement;

/// <summary>Records latencies in microseconds from many virtual users at once, without a lock.</summary>
/// <remarks>
/// HdrHistogram's <see cref="Recorder"/> over a <see cref="LongConcurrentHistogram"/>: writers
/// only pay interlocked increments, and the sampler swaps out a stable interval histogram once
/// a second without stalling them. Values are clamped to one hour, far beyond any request timeout.
/// </remarks>
internal sealed class LatencyRecorder
{
    public const long HighestTrackableMicroseconds = 3_600_000_000;
    public const int SignificantDigits = 3;

    private readonly Recorder _recorder = new(
        1,
        HighestTrackableMicroseconds,
        SignificantDigits,
        static (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));

    /// <summary>Records the time from <paramref name="originTimestamp"/> to <paramref name="endTimestamp"/> (both <see cref="Stopwatch"/> timestamps).</summary>
    public void Record(long originTimestamp, long endTimestamp)
    {
        var micros = Stopwatch.GetElapsedTime(originTimestamp, endTimestamp).Ticks / TimeSpan.TicksPerMicrosecond;
        _recorder.RecordValue(Math.Clamp(micros, 0, HighestTrackableMicroseconds));
    }

    /// <summary>Takes what was recorded since the last call; pass the previous interval back to reuse it.</summary>
    public HistogramBase TakeInterval(HistogramBase? recycle) => _recorder.GetIntervalHistogram(recycle);

    /// <summary>A single-threaded histogram to accumulate intervals into.</summary>
    public static LongHistogram CreateAccumulator() => new(1, HighestTrackableMicroseconds, SignificantDigits);
}
