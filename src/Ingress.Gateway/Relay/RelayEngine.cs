using Ingress.Gateway.Configuration;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Relay;

/// <summary>
/// The relay: the gateway's own HTTP/1.1 forwarding path for entry ports. It owns the event loops (one per core by
/// default) and holds what their connections share: the route snapshot, the settings, and YARP's health state.
/// </summary>
/// <remarks>
/// YARP stays the control plane: configuration, health checks and destination state come from it, and every request
/// the relay does not handle itself goes through Kestrel and YARP's pipeline. See docs/benchmarks.md for why the hot
/// path is not YARP's <c>HttpForwarder</c>.
/// </remarks>
internal sealed partial class RelayEngine : IDisposable
{
    private readonly Lock _gate = new();
    private readonly int _loopCount;
    private readonly ILogger<RelayEngine> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly RelayRoutes _routes;
    private readonly TimeProvider _time;
    private RelayWorker[]? _workers;
    private bool _disposed;

    public RelayEngine(
        IOptions<TransportOptions> transport,
        IOptions<KestrelServerOptions> kestrel,
        IOptions<GatewayLimitsOptions> limits,
        IOptions<ResilienceOptions> resilience,
        RelayRoutes routes,
        RetryBudgets budgets,
        RequestRecorder recorder,
        GatewayMetrics metrics,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        _time = time;
        _loopCount = transport.Value.EventLoops ?? Environment.ProcessorCount;
        _routes = routes;
        Settings = RelaySettings.From(kestrel.Value.Limits, limits.Value, resilience.Value);
        Budgets = budgets;
        Recorder = recorder;
        Metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RelayEngine>();
    }

    public RelaySettings Settings { get; }

    public RetryBudgets Budgets { get; }

    public RequestRecorder Recorder { get; }

    public GatewayMetrics Metrics { get; }

    /// <summary>The current route snapshot; replaced whole, read without a lock.</summary>
    public RelayRouteTable Routes => _routes.Current;

    /// <summary>The event loops, started on first use.</summary>
    public IReadOnlyList<RelayWorker> Workers
    {
        get
        {
            if (Volatile.Read(ref _workers) is { } workers)
            {
                return workers;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_workers is null)
                {
                    var started = new RelayWorker[_loopCount];
                    for (var i = 0; i < started.Length; i++)
                    {
                        started[i] = new RelayWorker(new EventLoop(i, _loggerFactory.CreateLogger<EventLoop>(), _time));
                        started[i].Loop.Start();
                    }

                    Volatile.Write(ref _workers, started);
                }

                return _workers;
            }
        }
    }

    public void Dispose()
    {
        RelayWorker[]? workers;
        lock (_gate)
        {
            _disposed = true;
            workers = _workers;
            _workers = null;
        }

        foreach (var worker in workers ?? [])
        {
            worker.Dispose();
        }
    }

    [LoggerMessage(EventId = 411, Level = LogLevel.Debug, Message = "A request to {ServiceName} failed at {Destination}: {Failure} (errno {Errno}, pooled connection {Reused}, attempt {Attempt}).")]
    public partial void LogUpstreamFailure(string serviceName, string? destination, string failure, int errno, bool reused, int attempt);

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "The retry budget of {ServiceName} is spent; failures are passed to clients until requests earn more.")]
    public partial void LogRetryBudgetExhausted(string serviceName);
}

/// <summary>One event loop and what its connections share: the pool of idle connections to replicas.</summary>
internal sealed class RelayWorker(EventLoop loop) : IDisposable
{
    public EventLoop Loop { get; } = loop;

    public UpstreamPool Pool { get; } = new();

    public void Dispose()
    {
        // Every connection still open is closed on the loop's own thread, then the loop stops.
        Loop.Post(Pool.Clear);
        Loop.Dispose();
    }
}
