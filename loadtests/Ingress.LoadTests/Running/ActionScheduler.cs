using System.Diagnostics;
using Ingress.LoadTests.Reporting;

namespace Ingress.LoadTests.Running;

/// <summary>Runs each <see cref="TimedAction"/> at its offset into the measured phase and notes what became of it.</summary>
internal static class ActionScheduler
{
    /// <summary>Starts every action; the returned task completes once all have finished or been cancelled by <paramref name="endOfRun"/>.</summary>
    public static Task<ActionOutcome[]> RunAsync(IReadOnlyList<TimedAction> actions, long phaseStartTimestamp, CancellationToken endOfRun)
    {
        var runs = new Task<ActionOutcome>[actions.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            runs[i] = RunOneAsync(actions[i], phaseStartTimestamp, endOfRun);
        }

        return Task.WhenAll(runs);
    }

    private static async Task<ActionOutcome> RunOneAsync(TimedAction action, long phaseStartTimestamp, CancellationToken endOfRun)
    {
        var due = action.At - Stopwatch.GetElapsedTime(phaseStartTimestamp);
        try
        {
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, endOfRun).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return new ActionOutcome(action.Name, action.At.TotalSeconds, null, null, "not started: the run ended first");
        }

        var startedAt = Stopwatch.GetElapsedTime(phaseStartTimestamp).TotalSeconds;
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            await action.Action(endOfRun).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (endOfRun.IsCancellationRequested)
        {
            error = "cancelled: the run ended while it was running";
        }
        catch (Exception ex)
        {
            // One failing action must not abort the load it was meant to disturb.
            error = $"{ex.GetType().Name}: {ex.Message}";
        }

        return new ActionOutcome(action.Name, action.At.TotalSeconds, startedAt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, error);
    }
}
