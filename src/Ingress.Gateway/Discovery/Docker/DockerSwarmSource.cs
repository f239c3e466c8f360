using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;
using ApiService = global::Docker.DotNet.Models.SwarmService;
using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>
/// Discovers labelled services and their running tasks through a manager's Docker Engine API. Service events trigger
/// an immediate listing; tasks, which Swarm emits no events for, are re-listed every <c>TaskRefreshInterval</c>
/// with one cheap filtered call.
/// </summary>
internal sealed partial class DockerSwarmSource(
    IDockerClient docker,
    IDiscoverySink sink,
    IOptions<DockerDiscoveryOptions> options,
    TimeProvider time,
    ILogger<DockerSwarmSource> logger) : BackgroundService
{
    /// <summary>The name this source reports under.</summary>
    public const string SourceName = "docker";

    private readonly DockerDiscoveryOptions _options = options.Value;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private ImmutableArray<ApiService> _services = [];
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
            var all = await docker.Swarm.ListServicesAsync(new ServiceListParameters(), ct)
                .ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            _services = [.. all.Where(s => s.Spec?.Labels?.Keys.Any(IngressLabels.IsIngressLabel) == true)];
            _servicesListedAt = now;
        }

        IList<TaskResponse> tasks = [];
        if (!_services.IsEmpty)
        {
            tasks = await docker.Tasks.ListAsync(
                new TasksListParameters
                {
                    Filters = new Dictionary<string, IDictionary<string, bool>>
                    {
                        ["desired-state"] = new Dictionary<string, bool> { ["running"] = true },
                    },
                },
                ct).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }

        return new DiscoverySnapshot(SourceName, MapServices(_services, tasks, _gatewayNetworks, _options.Networks), time.GetUtcNow());
    }

    /// <summary>Pure mapping from API models to snapshot records; <c>internal</c> for unit tests.</summary>
    internal static ImmutableArray<SwarmService> MapServices(
        IEnumerable<ApiService> services,
        IEnumerable<TaskResponse> tasks,
        IReadOnlySet<string>? gatewayNetworks,
        IReadOnlyList<string> configuredNetworks)
    {
        var tasksByService = tasks
            .Where(t => t.ServiceID is not null && t.DesiredState == TaskState.Running && t.Status?.State == TaskState.Running)
            .GroupBy(t => t.ServiceID!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var result = ImmutableArray.CreateBuilder<SwarmService>();
        foreach (var service in services)
        {
            if (service.Spec?.Labels is null)
            {
                continue;
            }

            var labels = service.Spec.Labels
                .Where(l => IngressLabels.IsIngressLabel(l.Key))
                .ToImmutableSortedDictionary(l => l.Key, l => l.Value ?? string.Empty, StringComparer.Ordinal);
            var wanted = labels.GetValueOrDefault(IngressLabels.Network);

            var mapped = ImmutableArray.CreateBuilder<SwarmTask>();
            foreach (var task in tasksByService.GetValueOrDefault(service.ID) ?? [])
            {
                if (PickAddress(task, wanted, gatewayNetworks, configuredNetworks) is { } address)
                {
                    // A global service's tasks have no slot: 0, as the record documents.
                    var containerId = task.Status?.ContainerStatus?.ContainerID is { Length: > 0 } id ? id : null;
                    mapped.Add(new SwarmTask(task.ID, address, (int)(task.Slot ?? 0), task.NodeID, containerId, "running"));
                }
            }

            result.Add(new SwarmService(
                service.ID,
                service.Spec.Name ?? service.ID,
                labels,
                [.. mapped.OrderBy(t => t.Slot).ThenBy(t => t.Id, StringComparer.Ordinal)],
                new DateTimeOffset(DateTime.SpecifyKind(service.CreatedAt ?? default, DateTimeKind.Utc)),
                SourceName));
        }

        return [.. result.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The task's address on a network the gateway can reach: the <c>ingress.network</c> label's network, else one the
    /// gateway's container shares, else the first non-ingress network. Null when none qualifies.
    /// </summary>
    internal static string? PickAddress(TaskResponse task, string? wanted, IReadOnlySet<string>? gatewayNetworks, IReadOnlyList<string> configuredNetworks)
    {
        if (task.NetworksAttachments is null)
        {
            return null;
        }

        string? fallback = null;
        foreach (var attachment in task.NetworksAttachments)
        {
            var network = attachment.Network;
            if (network?.Spec is null || network.Spec.Ingress == true || attachment.Addresses is not { Count: > 0 })
            {
                continue;
            }

            var name = network.Spec.Name ?? string.Empty;
            if (wanted is not null)
            {
                if (NameMatches(name, wanted))
                {
                    return StripPrefix(attachment.Addresses[0]);
                }

                continue;
            }

            if (configuredNetworks.Count > 0)
            {
                if (configuredNetworks.Any(n => NameMatches(name, n)))
                {
                    return StripPrefix(attachment.Addresses[0]);
                }

                continue;
            }

            if (gatewayNetworks is not null && (gatewayNetworks.Contains(network.ID) || gatewayNetworks.Contains(name)))
            {
                return StripPrefix(attachment.Addresses[0]);
            }

            fallback ??= gatewayNetworks is null ? attachment.Addresses[0] : null;
        }

        return fallback is null ? null : StripPrefix(fallback);
    }

    // Stack deploys prefix network names with the stack name: "backend" in stack.yml is "ingress_backend".
    private static bool NameMatches(string actual, string wanted) =>
        string.Equals(actual, wanted, StringComparison.Ordinal)
        || (actual.Length > wanted.Length + 1 && actual.EndsWith(wanted, StringComparison.Ordinal) && actual[^(wanted.Length + 1)] == '_');

    private static string StripPrefix(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? cidr : cidr[..slash];
    }

    /// <summary>The networks of the gateway's own container, or null when the gateway does not run in a container.</summary>
    private async Task<HashSet<string>?> ResolveGatewayNetworksAsync(CancellationToken ct)
    {
        try
        {
            var self = await docker.Containers.InspectContainerAsync(Environment.MachineName, ct).ConfigureAwait(false);
            var networks = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, settings) in self.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>())
            {
                networks.Add(name);
                if (settings?.NetworkID is { Length: > 0 } id)
                {
                    networks.Add(id);
                }
            }

            LogGatewayNetworks(string.Join(", ", networks.Where(n => n.Length < 64)));
            return networks;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    private async Task WatchEventsAsync(CancellationToken stoppingToken)
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), _options.MaxRetryDelay);
        var parameters = new ContainerEventsParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["type"] = new Dictionary<string, bool> { ["service"] = true, ["container"] = true },
                ["event"] = new Dictionary<string, bool>
                {
                    ["create"] = true, ["update"] = true, ["remove"] = true,
                    ["start"] = true, ["die"] = true, ["stop"] = true, ["kill"] = true,
                    ["health_status"] = true,
                },
            },
        };
        var progress = new WakeOnEvent(this);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _eventsConnected = true;
                await docker.System.MonitorEventsAsync(parameters, progress, stoppingToken).ConfigureAwait(false);
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
        DockerApiException { StatusCode: HttpStatusCode.ServiceUnavailable } api when api.ResponseBody?.Contains("not a swarm manager", StringComparison.OrdinalIgnoreCase) == true =>
            "this node is not a swarm manager; the Docker API source needs a manager (place the gateway with node.role == manager) — on workers use the DNS source (Ingress:Discovery:Dns)",
        DockerApiException api => $"Docker API answered {(int)api.StatusCode}: {api.ResponseBody?.Trim()}",
        OperationCanceledException or TimeoutException => "the Docker API did not answer in time",
        HttpRequestException { InnerException: SocketException socket } => $"cannot reach the Docker API: {socket.SocketErrorCode} ({socket.Message})",
        SocketException socket => $"cannot reach the Docker API: {socket.SocketErrorCode} ({socket.Message})",
        _ => Chain(ex),
    };

    /// <summary>Every message down the inner-exception chain: Docker.DotNet wraps the cause (TLS, refused) in a generic one.</summary>
    private static string Chain(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 5; e = e.InnerException)
        {
            parts.Add(e.Message.TrimEnd('.'));
        }

        return "cannot reach the Docker API: " + string.Join(": ", parts);
    }

    private sealed class WakeOnEvent(DockerSwarmSource owner) : IProgress<Message>
    {
        public void Report(Message value)
        {
            owner.LogEvent(value.Type, value.Action);
            owner.StartBurst();
            if (value.Type == "service")
            {
                owner._servicesStale = true;
            }

            owner._wake.Writer.TryWrite(true);
        }
    }
}
