using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Forwarding;

/// <summary>
/// Passive health that acts on the first failure: a replica that refuses or resets a connection leaves rotation at
/// once, for the cluster's reactivation period. YARP's built-in policy waits for a failure rate over a window, which
/// lets a dead task fail a share of requests first.
/// </summary>
internal sealed class TransportFailurePolicy(IDestinationHealthUpdater updater, Microsoft.Extensions.Options.IOptions<ResilienceOptions> options) : IPassiveHealthCheckPolicy
{
    /// <summary>The policy name used in cluster configs.</summary>
    public const string PolicyName = "IngressTransportFailure";

    private readonly TimeSpan _defaultReactivation = options.Value.ReactivationPeriod;

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || !ForwarderFailure.IsDestinationFault(error, context))
        {
            return;
        }

        var reactivation = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? _defaultReactivation;
        updater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, reactivation);
    }
}
