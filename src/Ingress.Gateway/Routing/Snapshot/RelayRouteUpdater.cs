using System.Runtime.CompilerServices;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>
/// Rebuilds the route snapshot (<see cref="RelayRoutes"/>) each time YARP has applied a configuration (static or
/// discovered), so the relay, and the endpoint selector in front of YARP's pipeline, route exactly what YARP routes,
/// from the moment YARP does.
/// </summary>
/// <remarks>
/// <para>
/// YARP calls this synchronously at the end of each apply, and the relay's swap is a single reference write. A failure
/// leaves the previous snapshot in force and is logged; it never fails YARP's apply.
/// </para>
/// <para>
/// YARP keeps its <see cref="ClusterModel"/> and <see cref="RouteModel"/> objects for clusters and routes whose config
/// did not change, so the relay's view of each is cached by those objects: a task replaced in one service of a
/// thousand re-describes that one cluster, not all of them. The caches are weak, so removed ones go with YARP's.
/// </para>
/// </remarks>
internal sealed partial class RelayRouteUpdater(
    IServiceProvider services,
    RelayRoutes routes,
    RelayClusterFactory clusters,
    IOptions<GatewayOptions> gateway,
    IOptions<TracingOptions> tracing,
    ILogger<RelayRouteUpdater> logger) : IConfigChangeListener
{
    private readonly bool _tracing = tracing.Value.Enabled;

    private readonly ConditionalWeakTable<ClusterModel, StrongBox<RelayCluster?>> _clusters = [];
    private readonly ConditionalWeakTable<RouteModel, RouteShape> _shapes = [];

    // Resolved late: YARP's state lookup is the config manager, which itself depends on the change listeners.
    private IProxyStateLookup? _state;

    public void ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        try
        {
            _state ??= services.GetRequiredService<IProxyStateLookup>();
            routes.Update(RelayRouteTableBuilder.Build(_state.GetRoutes(), gateway.Value.EntryPorts, ClusterFor, ShapeOf, _tracing));
        }
        catch (Exception ex)
        {
            // The previous snapshot would answer 404 for routes added since: clear it, and ASP.NET Core's matcher,
            // which has the new routes, serves every request until a rebuild succeeds.
            routes.Update(RelayRouteTable.Empty);
            LogRebuildFailed(ex);
        }
    }

    private RelayCluster? ClusterFor(ClusterState cluster)
    {
        var model = cluster.Model;
        if (_clusters.TryGetValue(model, out var cached))
        {
            return cached.Value;
        }

        var created = clusters.Create(cluster);
        _clusters.AddOrUpdate(model, new StrongBox<RelayCluster?>(created));
        return created;
    }

    private RouteShape ShapeOf(RouteModel route) => _shapes.GetValue(route, static r => RouteShape.Of(r.Config));

    public void ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
    {
    }

    public void ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    public void ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
    {
    }

    [LoggerMessage(EventId = 430, Level = LogLevel.Error, Message = "The relay's routes could not be rebuilt; requests go through Kestrel and YARP until the next configuration is applied.")]
    private partial void LogRebuildFailed(Exception exception);
}
