using System.Diagnostics;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Running;

/// <summary>One timed stretch of load (warm-up or measured): its clock, its request budget and what its users record into.</summary>
internal sealed class LoadPhase
{
    private readonly long _deadlineTimestamp;
    private readonly long _requestBudget;
    private readonly double _ticksPerRequest;
    private readonly CancellationToken _runToken;
    private long _claimed;

    public LoadPhase(LoadOptions options, TimeSpan length, long? requestBudget, bool isWarmup, CancellationToken runToken)
    {
        IsWarmup = isWarmup;
        _runToken = runToken;
        _requestBudget = requestBudget ?? long.MaxValue;
        _ticksPerRequest = options.Model == LoadModel.Open ? Stopwatch.Frequency / options.RequestsPerSecond : 0;
        Workers = new WorkerStats[options.Connections];
        for (var i = 0; i < Workers.Length; i++)
        {
            Workers[i] = new WorkerStats(options.TrackHostNames);
        }

        StartTimestamp = Stopwatch.GetTimestamp();
        _deadlineTimestamp = StartTimestamp + (long)(length.TotalSeconds * Stopwatch.Frequency);
    }

    public bool IsWarmup { get; }

    public long StartTimestamp { get; }

    public LatencyRecorder Latency { get; } = new();

    /// <summary>One per virtual user, in user order.</summary>
    public WorkerStats[] Workers { get; }

    /// <summary>Closed model: whether a user may start another request (time left, budget left, not cancelled).</summary>
    public bool TryClaimClosed()
    {
        if (_runToken.IsCancellationRequested || Stopwatch.GetTimestamp() >= _deadlineTimestamp)
        {
            return false;
        }

        // Only a capped run pays for the shared counter.
        return _requestBudget == long.MaxValue || Interlocked.Increment(ref _claimed) <= _requestBudget;
    }

    /// <summary>Open model: claims the next slot of the fixed schedule and says when it is due.</summary>
    /// <returns>False once the schedule runs past the deadline or the budget, or the run is cancelled.</returns>
    public bool TryClaimOpen(out long intendedTimestamp)
    {
        var slot = Interlocked.Increment(ref _claimed) - 1;
        intendedTimestamp = StartTimestamp + (long)(slot * _ticksPerRequest);
        return slot < _requestBudget && intendedTimestamp < _deadlineTimestamp && !_runToken.IsCancellationRequested;
    }
}
