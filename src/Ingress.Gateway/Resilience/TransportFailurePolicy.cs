using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// Passive health that acts on the first failure: a replica that refuses or resets a connection leaves rotation at
/// once, for the cluster's reactivation period and until it can be reached again (<see cref="ReplicaEjection"/>). YARP's built-in policy waits for a failure rate over a window, which
/// lets a dead task fail a share of requests first.
/// </summary>
/// <remarks>
/// The last replica in rotation is ejected only when it could not be reached at all (refused, the connect timed out, or
/// it went silent on an open connection): that one is gone, and a 503 with <c>Retry-After</c> says so. A reset or an
/// aborted response from it is one failed request; ejecting it would turn that into an outage of the whole service for
/// the reactivation period (nginx, likewise, never marks the only server of an upstream unavailable).
/// </remarks>
internal sealed class TransportFailurePolicy(ReplicaEjection ejection, IOptions<ResilienceOptions> options, GatewayShortageLog shortages)
    : IPassiveHealthCheckPolicy
{
    /// <summary>The policy name used in cluster configs.</summary>
    public const string PolicyName = "IngressTransportFailure";

    private readonly TimeSpan _defaultReactivation = options.Value.ReactivationPeriod;

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null
            || shortages.TryReport(cluster.ClusterId, destination.DestinationId, error.Exception)
            || !ForwarderFailure.IsDestinationFault(error, context))
        {
            return;
        }

        if (!ShouldEject(cluster, destination, AttemptFailures.IsUnreachable(ForwarderFailure.Classify(error))))
        {
            return;
        }

        var reactivation = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? _defaultReactivation;
        ejection.Eject(cluster, destination, reactivation);
    }

    /// <summary>
    /// Whether a replica that failed a request leaves rotation: always, unless it is the last one in rotation and it could
    /// be reached (<paramref name="unreachable"/> false: <see cref="AttemptFailures.IsUnreachable"/>), in which case it was
    /// one failed request. The relay applies the same rule.
    /// </summary>
    public static bool ShouldEject(ClusterState cluster, DestinationState destination, bool unreachable) =>
        unreachable || !IsLastInRotation(cluster, destination);

    private static bool IsLastInRotation(ClusterState cluster, DestinationState destination)
    {
        var available = cluster.DestinationsState.AvailableDestinations;
        return available.Count == 0 || (available.Count == 1 && ReferenceEquals(available[0], destination));
    }
}
