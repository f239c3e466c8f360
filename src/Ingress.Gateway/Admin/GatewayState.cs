using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Issuance;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;
using Ingress.Gateway.Telemetry;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Admin;

/// <summary>
/// The JSON document served on <c>/api/state</c>: listeners, sources, the control channel (null when off), the TLS ports
/// and certificates (null when off), ACME issuance (null when off), every labelled service and its replicas, and every
/// route YARP serves, discovered or static, with its destinations and policies.
/// </summary>
internal sealed record GatewayState(
    DateTimeOffset Time,
    IReadOnlyList<int> EntryPorts,
    int AdminPort,
    long ConfigRevision,
    bool Ready,
    IReadOnlyList<DiscoverySourceStatus> Sources,
    ControlView? Control,
    TlsView? Tls,
    AcmeIssuanceStatus? Acme,
    IReadOnlyList<ServiceView> Services,
    IReadOnlyList<RouteView> Routes,
    IReadOnlyList<DiscoveryEvent> Events)
{
    public static GatewayState From(
        DiscoveryReconciler reconciler, long revision, GatewayOptions options, ResilienceOptions resilience, IProxyStateLookup proxy, ReplicaStats stats,
        ControlStatus? control, TlsView? tls, AcmeIssuanceStatus? acme, TimeProvider time, Access.UsersFiles? usersFiles = null)
    {
        var clustersByService = new Dictionary<string, List<ClusterState>>(StringComparer.Ordinal);
        foreach (var cluster in proxy.GetClusters())
        {
            var service = cluster.Model.Config.ServiceName();
            if (!clustersByService.TryGetValue(service, out var list))
            {
                clustersByService[service] = list = [];
            }

            list.Add(cluster);
        }

        var table = reconciler.Table;
        var services = new List<ServiceView>(table.Services.Length);
        foreach (var state in table.Services)
        {
            var clusters = clustersByService.GetValueOrDefault(state.Service.Name) ?? [];
            services.Add(new ServiceView(
                state.Service.Name,
                state.Service.Source,
                state.Status.ToString().ToLowerInvariant(),
                state.Entries,
                state.LoadBalancingPolicy,
                [.. state.Errors.Select(e => e.ToString())],
                state.Service.Labels,
                [.. state.Service.Tasks.Select(t => ReplicaView.From(t, clusters, stats))]));
        }

        return new GatewayState(time.GetUtcNow(), options.EntryPorts, options.AdminPort, revision, reconciler.IsReady, reconciler.Sources, control?.View, tls, acme, services,
            RouteView.AllFrom(proxy, options.EntryPorts, table, stats, resilience.RequestTimeout, usersFiles), reconciler.Events.Recent());
    }
}

/// <summary>One labelled service as shown on <c>/api/state</c>.</summary>
internal sealed record ServiceView(
    string Name,
    string Source,
    string Status,
    IReadOnlyList<string> Routes,
    string? LoadBalancing,
    IReadOnlyList<string> Errors,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<ReplicaView> Tasks);

/// <summary>One replica: what discovery knows, what health checks think, and what it has served.</summary>
internal sealed record ReplicaView(
    string Id,
    string Address,
    int Slot,
    string? NodeId,
    string? ContainerId,
    string? Hostname,
    string State,
    string Health,
    long Requests,
    long Failures,
    double TotalSeconds)
{
    public static ReplicaView From(SwarmTask task, List<ClusterState> clusters, ReplicaStats stats)
    {
        var health = "unknown";
        long requests = 0, failures = 0;
        double seconds = 0;
        foreach (var cluster in clusters)
        {
            if (!cluster.Destinations.TryGetValue(task.Id, out var destination))
            {
                continue;
            }

            health = HealthOf(cluster, destination);
            var (r, f, s) = stats.Read(destination);
            requests += r;
            failures += f;
            seconds += s;
        }

        var hostname = task.ContainerId is { Length: >= 12 } id ? id[..12] : task.ContainerId;
        return new ReplicaView(task.Id, task.Address, task.Slot, task.NodeId, task.ContainerId, hostname, task.State, health, requests, failures, seconds);
    }

    /// <summary>
    /// A destination's health in the dashboard's words: <c>healthy</c> or <c>in rotation</c> (not probed), else why it is
    /// out: <c>ejected (passive)</c> or <c>unhealthy (probe)</c>.
    /// </summary>
    public static string HealthOf(ClusterState cluster, DestinationState destination) =>
        DestinationRotation.IsInRotation(cluster, destination)
            ? destination.Health.Active == DestinationHealth.Healthy ? "healthy" : "in rotation"
            : destination.Health.Passive == DestinationHealth.Unhealthy ? "ejected (passive)" : "unhealthy (probe)";
}
