using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

namespace Ingress.Gateway.ProxyConfig;

/// <summary>
/// Gives every cluster that names no load-balancing policy YARP's RoundRobin, for routing-mesh parity
/// (YARP's own default is PowerOfTwoChoices). Applies to static and discovered clusters alike.
/// </summary>
internal sealed class DefaultRoundRobinFilter : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) =>
        ValueTask.FromResult(string.IsNullOrEmpty(cluster.LoadBalancingPolicy)
            ? cluster with { LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin }
            : cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
