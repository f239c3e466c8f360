using System.Diagnostics;
using HdrHistogram;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Running;

/// <summary>
/// Once a second, folds the phase's latest latency interval into a running total and
/// publishes an <see cref="IntervalSample"/>; the only reader of the live recorder.
/// </summary>
internal sealed class PhaseSampler(LoadPhase phase, Action<IntervalSample>? onInterval)
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly List<IntervalSample> _timeline = [];
    private HistogramBase? _interval;
    private long _lastTimestamp = phase.StartTimestamp;
    private long _lastResponses;
    private long _lastFailures;

    /// <summary>Every latency recorded so far in the phase, in microseconds.</summary>
    public LongHistogram Cumulative { get; } = LatencyRecorder.CreateAccumulator();

    public IReadOnlyList<IntervalSample> Timeline => _timeline;

    /// <summary>Samples every second until <paramref name="stopToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stopToken).ConfigureAwait(false))
            {
                Sample(Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // The phase is over; Finish takes the last partial interval.
        }
    }

    /// <summary>Takes the final partial interval once every user has stopped.</summary>
    public void Finish(long endTimestamp)
    {
        // Skip a sliver of an interval: its rate would be noise.
        var sliver = Stopwatch.GetElapsedTime(_lastTimestamp, endTimestamp) < TimeSpan.FromMilliseconds(100);
        Sample(endTimestamp, publish: !sliver);
    }

    private void Sample(long now, bool publish = true)
    {
        _interval = phase.Latency.TakeInterval(_interval);
        Cumulative.Add(_interval);

        long responses = 0;
        long failures = 0;
        foreach (var worker in phase.Workers)
        {
            responses += worker.Responses;
            failures += worker.Failures;
        }

        var seconds = Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        var sample = new IntervalSample(
            phase.IsWarmup,
            Stopwatch.GetElapsedTime(phase.StartTimestamp, now).TotalSeconds,
            responses - _lastResponses,
            seconds > 0 ? (responses - _lastResponses) / seconds : 0,
            failures - _lastFailures,
            _interval.TotalCount == 0 ? 0 : _interval.GetValueAtPercentile(99) / 1000.0,
            failures,
            Cumulative.TotalCount == 0 ? 0 : Cumulative.GetValueAtPercentile(99) / 1000.0);

        _lastTimestamp = now;
        _lastResponses = responses;
        _lastFailures = failures;
        if (!publish)
        {
            return;
        }

        if (!phase.IsWarmup)
        {
            _timeline.Add(sample);
        }

        onInterval?.Invoke(sample);
    }
}
