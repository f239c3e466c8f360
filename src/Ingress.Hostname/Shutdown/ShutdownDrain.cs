using System.Runtime.InteropServices;
using Ingress.Hostname.Configuration;
using Microsoft.Extensions.Options;

namespace Ingress.Hostname.Shutdown;

/// <summary>The host lifetime: on SIGTERM, keeps serving for <see cref="HostnameOptions.DrainDelay"/> with <c>/healthz</c> at 503, then stops.</summary>
/// <remarks>
/// It replaces the default <c>ConsoleLifetime</c>, whose own SIGTERM handler would stop the host at once and so defeat the drain.
/// Swarm sends SIGTERM when a task is removed; the gateway stops routing to the task once it sees it leave, and the drain covers that lag.
/// SIGINT and SIGQUIT (Ctrl+C while developing), and a second SIGTERM, stop at once. Every stop is still graceful:
/// Kestrel lets in-flight requests finish, bounded by <see cref="HostOptions.ShutdownTimeout"/>.
/// </remarks>
internal sealed partial class ShutdownDrain(
    DrainState drain,
    IOptions<HostnameOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<ShutdownDrain> logger) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _signals = [];
    private ITimer? _stopTimer;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminateSignal));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnInterruptSignal));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnInterruptSignal));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Begins the drain and schedules the stop; if a drain is already under way, stops now.</summary>
    internal void RequestTermination()
    {
        if (!drain.TryBeginDrain())
        {
            Log.StoppingNow(logger, "A second SIGTERM");
            lifetime.StopApplication();
            return;
        }

        var delay = options.Value.DrainDelay;
        Log.Draining(logger, delay);
        if (delay <= TimeSpan.Zero)
        {
            lifetime.StopApplication();
            return;
        }

        _stopTimer = timeProvider.CreateTimer(
            static state => ((ShutdownDrain)state!).OnDrainElapsed(), this, delay, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _signals.Clear();
        _stopTimer?.Dispose();
    }

    private void OnTerminateSignal(PosixSignalContext context)
    {
        // Cancel the default action (process exit): the host must go on serving while it drains.
        context.Cancel = true;
        RequestTermination();
    }

    private void OnInterruptSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Log.StoppingNow(logger, context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGQUIT");
        lifetime.StopApplication();
    }

    private void OnDrainElapsed()
    {
        Log.DrainOver(logger);
        lifetime.StopApplication();
    }
}
