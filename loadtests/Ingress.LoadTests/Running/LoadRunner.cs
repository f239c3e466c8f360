using System.Diagnostics;
using System.Globalization;
using Ingress.LoadTests.Measurement;
using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Safety;

namespace Ingress.LoadTests.Running;

/// <summary>Runs a warm-up and then a measured phase of HTTP load, and reports on the measured one.</summary>
/// <remarks>
/// The entry point both for the command line and for tests in other projects: a chaos test
/// builds <see cref="LoadOptions"/> with a <see cref="TimedAction"/> (kill a task, scale a
/// service), awaits <see cref="RunAsync"/> and asserts on the <see cref="LoadReport"/>.
/// </remarks>
public static class LoadRunner
{
    /// <summary>Runs the load described by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are out of bounds or the target is not allowed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the run finished.</exception>
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problem = LoadOptionsValidator.Validate(options) ?? TargetGuard.Check(options.Target, options.AllowedHosts);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var startedAt = DateTimeOffset.UtcNow;
        using var invoker = LoadClient.Create(options);
        var users = new VirtualUser[options.Connections];
        for (var i = 0; i < users.Length; i++)
        {
            users[i] = new VirtualUser(invoker, options, cancellationToken);
        }

        try
        {
            if (options.Warmup > TimeSpan.Zero)
            {
                await RunPhaseAsync(options, users, new LoadPhase(options, options.Warmup, null, isWarmup: true, cancellationToken), cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var measured = new LoadPhase(options, options.Duration, options.MaxRequests, isWarmup: false, cancellationToken);
            var outcome = await RunPhaseAsync(options, users, measured, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return BuildReport(options, startedAt, measured, outcome);
        }
        finally
        {
            foreach (var user in users)
            {
                user.Dispose();
            }
        }
    }

    private static async Task<PhaseOutcome> RunPhaseAsync(LoadOptions options, VirtualUser[] users, LoadPhase phase, CancellationToken cancellationToken)
    {
        var sampler = new PhaseSampler(phase, options.OnInterval);
        using var endOfPhase = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampling = sampler.RunAsync(endOfPhase.Token);
        var actions = phase.IsWarmup || options.Actions.Count == 0
            ? Task.FromResult(Array.Empty<ActionOutcome>())
            : ActionScheduler.RunAsync(options.Actions, phase.StartTimestamp, endOfPhase.Token);

        var loops = new Task[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            loops[i] = options.Model == LoadModel.Open
                ? RunOpenLoopAsync(users[i], phase, phase.Workers[i], cancellationToken)
                : RunClosedLoopAsync(users[i], phase, phase.Workers[i]);
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp();
        await endOfPhase.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        sampler.Finish(end);
        var actionOutcomes = await actions.ConfigureAwait(false);
        return new PhaseOutcome(sampler, Stopwatch.GetElapsedTime(phase.StartTimestamp, end), actionOutcomes);
    }

    private static async Task RunClosedLoopAsync(VirtualUser user, LoadPhase phase, WorkerStats stats)
    {
        // Leave the caller's thread so that starting thousands of users does not run them inline.
        await Task.Yield();
        while (phase.TryClaimClosed())
        {
            await user.SendAsync(Stopwatch.GetTimestamp(), phase.Latency, stats).ConfigureAwait(false);
        }
    }

    private static async Task RunOpenLoopAsync(VirtualUser user, LoadPhase phase, WorkerStats stats, CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (phase.TryClaimOpen(out var intended))
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), intended);
            if (wait >= TimeSpan.FromMilliseconds(1))
            {
                try
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            // Coordinated omission: a request that goes out late because every user was busy
            // is charged from when it should have gone out. One sent a hair early (timer
            // granularity) is charged from when it actually went out.
            await user.SendAsync(Math.Min(intended, Stopwatch.GetTimestamp()), phase.Latency, stats).ConfigureAwait(false);
        }
    }

    private static LoadReport BuildReport(LoadOptions options, DateTimeOffset startedAt, LoadPhase phase, PhaseOutcome outcome)
    {
        var statusCodes = new SortedDictionary<int, long>();
        var hostNames = options.TrackHostNames ? new SortedDictionary<string, long>(StringComparer.Ordinal) : null;
        long responses = 0, refused = 0, reset = 0, timeout = 0, other = 0;
        foreach (var worker in phase.Workers)
        {
            responses += worker.Responses;
            refused += worker.ErrorsOf(TransportErrorKind.Refused);
            reset += worker.ErrorsOf(TransportErrorKind.Reset);
            timeout += worker.ErrorsOf(TransportErrorKind.Timeout);
            other += worker.ErrorsOf(TransportErrorKind.Other);
            worker.StatusCodes.AddTo(statusCodes);
            if (hostNames is not null)
            {
                worker.HostNames?.AddTo(hostNames);
            }
        }

        var errors = new TransportErrorCounts(refused, reset, timeout, other);
        var seconds = outcome.Elapsed.TotalSeconds;
        var histogram = outcome.Sampler.Cumulative;
        return new LoadReport
        {
            Scenario = options.Scenario,
            Target = options.Target.ToString(),
            Model = options.Model.ToString().ToLower(CultureInfo.InvariantCulture),
            Connections = options.Connections,
            KeepAlive = options.KeepAlive,
            TargetRequestsPerSecond = options.Model == LoadModel.Open ? options.RequestsPerSecond : null,
            StartedAt = startedAt,
            WarmupSeconds = options.Warmup.TotalSeconds,
            DurationSeconds = seconds,
            Requests = responses + errors.Total,
            Responses = responses,
            RequestsPerSecond = seconds > 0 ? responses / seconds : 0,
            Latency = LatencySummary.FromMicroseconds(histogram),
            StatusCodes = new Dictionary<int, long>(statusCodes),
            TransportErrors = errors,
            HostNames = hostNames is null ? null : new Dictionary<string, long>(hostNames, StringComparer.Ordinal),
            Percentiles = LatencySummary.CurveFromMicroseconds(histogram),
            Timeline = outcome.Sampler.Timeline,
            Actions = outcome.Actions,
        };
    }

    private sealed record PhaseOutcome(PhaseSampler Sampler, TimeSpan Elapsed, ActionOutcome[] Actions);
}
