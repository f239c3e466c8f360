using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ingress.Gateway.Discovery.Docker.Engine;
using Ingress.Gateway.Schema;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>
/// Discovers labelled services and their running tasks through a manager's Docker Engine API. Service events trigger
/// an immediate listing; tasks, which Swarm emits no events for, are re-listed every <c>TaskRefreshInterval</c>
/// with one cheap filtered call.
/// </summary>
internal sealed partial class DockerSwarmSource(
    DockerEngineClient docker,
    IDiscoverySink sink,
    IOptions<DockerDiscoveryOptions> options,
    TimeProvider time,
    ILogger<DockerSwarmSource> logger) : BackgroundService
{
    /// <summary>The name this source reports under.</summary>
    public const string SourceName = "docker";

    private static readonly EngineFilters s_runningTasks = new EngineFilters().Add("desired-state", EngineTaskStates.Running);

    private static readonly EngineFilters s_events = new EngineFilters()
        .Add("type", "service", "container")
        .Add("event", "create", "update", "remove", "start", "die", "stop", "kill", "health_status");

    private readonly DockerDiscoveryOptions _options = options.Value;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private ImmutableArray<EngineService> _services = [];
    private DateTimeOffset _servicesListedAt = DateTimeOffset.MinValue;
    private volatile bool _servicesStale = true;
    private volatile bool _eventsConnected;
    private long _burstUntilTicks;
    private HashSet<string>? _gatewayNetworks;
    private bool _gatewayNetworksResolved;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(_options.ResolveEndpoint(), _options.TaskRefreshInterval);
        var events = WatchEventsAsync(stoppingToken);
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), _options.MaxRetryDelay);

        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                sink.Publish(await ListAsync(stoppingToken).ConfigureAwait(false));
                backoff.Reset();
                delay = InBurst() ? Min(_options.TaskRefreshInterval, BurstInterval) : _options.TaskRefreshInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _servicesStale = true;
                sink.ReportFailure(SourceName, Describe(ex));
                delay = backoff.Next();
            }

            await WaitAsync(delay, stoppingToken).ConfigureAwait(false);
        }

        await events.ConfigureAwait(false);
    }

    /// <summary>Lists services (when stale) and running tasks, and maps them to a snapshot.</summary>
    internal async Task<DiscoverySnapshot> ListAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var ct = timeout.Token;

        if (!_gatewayNetworksResolved)
        {
            _gatewayNetworks = await ResolveGatewayNetworksAsync(ct).ConfigureAwait(false);
            _gatewayNetworksResolved = true;
        }

        var now = time.GetUtcNow();
        if (_servicesStale || !_eventsConnected || now - _servicesListedAt >= _options.ServiceRefreshInterval)
        {
            _servicesStale = false;
            // ForceYielding: the gateway completes socket operations inline (InlineSocketCompletions), so without it
            // the filtering and mapping below would run on a socket event thread and delay proxied requests.
            var all = await docker.ListServicesAsync(ct).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            _services = [.. all.Where(s => s.Spec?.Labels?.Keys.Any(IngressLabels.IsIngressLabel) == true)];
            _servicesListedAt = now;
        }

        IReadOnlyList<EngineTask> tasks = [];
        if (!_services.IsEmpty)
        {
            tasks = await docker.ListTasksAsync(s_runningTasks, ct).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }

        return new DiscoverySnapshot(SourceName, SwarmServiceMapping.MapServices(_services, tasks, _gatewayNetworks, _options.Networks), time.GetUtcNow());
    }

    /// <summary>The networks of the gateway's own container, or null when the gateway does not run in a container.</summary>
    private async Task<HashSet<string>?> ResolveGatewayNetworksAsync(CancellationToken ct)
    {
        if (await docker.InspectContainerAsync(Environment.MachineName, ct).ConfigureAwait(false) is not { } self)
        {
            return null;
        }

        var networks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, settings) in self.NetworkSettings?.Networks ?? ImmutableDictionary<string, EngineEndpointSettings?>.Empty)
        {
            networks.Add(name);
            if (settings?.NetworkId is { Length: > 0 } id)
            {
                networks.Add(id);
            }
        }

        LogGatewayNetworks(string.Join(", ", networks.Where(n => n.Length < 64)));
        return networks;
    }

    private async Task WatchEventsAsync(CancellationToken stoppingToken)
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), _options.MaxRetryDelay);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _eventsConnected = true;
                await foreach (var engineEvent in docker.MonitorEventsAsync(s_events, cancellationToken: stoppingToken).ConfigureAwait(false))
                {
                    OnEvent(engineEvent);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogEventsLost(ex.Message);
            }

            _eventsConnected = false;
            _servicesStale = true;
            try
            {
                await Task.Delay(backoff.Next(), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// An event says the swarm is changing, but the manager updates task states a little after it emits the event
    /// (a scaled-away task turns to desired-state shutdown, a new one turns running after its health check). So after
    /// any event the source re-lists every <see cref="BurstInterval"/> for <see cref="BurstLength"/>, catching the
    /// change within a fraction of a second instead of a full <c>TaskRefreshInterval</c>.
    /// </summary>
    internal static readonly TimeSpan BurstInterval = TimeSpan.FromMilliseconds(150);

    internal static readonly TimeSpan BurstLength = TimeSpan.FromSeconds(3);

    private bool InBurst() => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _burstUntilTicks);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void StartBurst() => Interlocked.Exchange(ref _burstUntilTicks, (time.GetUtcNow() + BurstLength).UtcTicks);

    private async Task WaitAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sleep = Task.Delay(delay, time, cts.Token);
        var woken = _wake.Reader.WaitToReadAsync(cts.Token).AsTask();
        await Task.WhenAny(sleep, woken).ConfigureAwait(false);
        cts.Cancel();
        _wake.Reader.TryRead(out _);
    }

    internal static string Describe(Exception ex) => ex switch
    {
        DockerEngineException { StatusCode: HttpStatusCode.ServiceUnavailable } api when api.ResponseBody.Contains("not a swarm manager", StringComparison.OrdinalIgnoreCase) =>
            "this node is not a swarm manager; the Docker API source needs a manager (place the gateway with node.role == manager) — on workers use the DNS source (Ingress:Discovery:Dns)",
        DockerEngineException api => $"Docker API answered {(int)api.StatusCode}: {api.ResponseBody.Trim()}",
        OperationCanceledException or TimeoutException => "the Docker API did not answer in time",
        HttpRequestException { InnerException: SocketException socket } => $"cannot reach the Docker API: {socket.SocketErrorCode} ({socket.Message})",
        SocketException socket => $"cannot reach the Docker API: {socket.SocketErrorCode} ({socket.Message})",
        _ => Chain(ex),
    };

    /// <summary>Every message down the inner-exception chain: HttpClient wraps the cause (TLS, refused) in a generic one.</summary>
    private static string Chain(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 5; e = e.InnerException)
        {
            parts.Add(e.Message.TrimEnd('.'));
        }

        return "cannot reach the Docker API: " + string.Join(": ", parts);
    }

    private void OnEvent(EngineEvent engineEvent)
    {
        LogEvent(engineEvent.Type, engineEvent.Action);
        StartBurst();
        if (engineEvent.Type == "service")
        {
            _servicesStale = true;
        }

        _wake.Writer.TryWrite(true);
    }
}
