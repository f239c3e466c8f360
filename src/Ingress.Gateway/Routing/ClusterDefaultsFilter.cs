using System.Runtime.CompilerServices;
using Ingress.Gateway.Resilience;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.LoadBalancing;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Fills in what a cluster leaves unset, for static and discovered clusters alike: RoundRobin load balancing
/// (routing-mesh parity; YARP's own default is PowerOfTwoChoices), first-failure passive health, only healthy or
/// unknown replicas in rotation, the request timeout, and the probe policy for active health checks. Anything a cluster sets explicitly is kept.
/// </summary>
/// <remarks>
/// YARP runs filters over every cluster on every apply. The result for a given config object is cached (weakly, by that
/// object), and discovery hands YARP the same objects for unchanged services, so a task change configures one cluster.
/// </remarks>
internal sealed class ClusterDefaultsFilter : IProxyConfigFilter
{
    private const string HealthyAndUnknownPolicyName = "HealthyAndUnknown";

    private readonly ResilienceOptions _options;
    private readonly ConditionalWeakTable<ClusterConfig, ClusterConfig> _configured = [];
    private readonly ConditionalWeakTable<ClusterConfig, ClusterConfig>.CreateValueCallback _configure;

    public ClusterDefaultsFilter(IOptions<ResilienceOptions> options)
    {
        _options = options.Value;
        _configure = Configure;
    }

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) =>
        ValueTask.FromResult(_configured.GetValue(cluster, _configure));

    private ClusterConfig Configure(ClusterConfig cluster)
    {
        var health = cluster.HealthCheck ?? new HealthCheckConfig();
        if (_options.PassiveHealth && health.Passive is null)
        {
            health = health with
            {
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = TransportFailurePolicy.PolicyName,
                    ReactivationPeriod = _options.ReactivationPeriod,
                },
            };
        }

        // YARP's default, HealthyOrPanic, sends traffic to dead replicas when all are dead; a quick 503 is kinder.
        if (health.AvailableDestinationsPolicy is null)
        {
            health = health with { AvailableDestinationsPolicy = HealthyAndUnknownPolicyName };
        }

        if (health.Active is { Enabled: true, Policy: null } active)
        {
            health = health with { Active = active with { Policy = ProbeRecoveryPolicy.PolicyName } };
        }

        var request = cluster.HttpRequest ?? new ForwarderRequestConfig();
        if (request.ActivityTimeout is null)
        {
            request = request with { ActivityTimeout = _options.RequestTimeout };
        }

        return cluster with
        {
            LoadBalancingPolicy = string.IsNullOrEmpty(cluster.LoadBalancingPolicy) ? LoadBalancingPolicies.RoundRobin : cluster.LoadBalancingPolicy,
            HealthCheck = health,
            HttpRequest = request,
        };
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
