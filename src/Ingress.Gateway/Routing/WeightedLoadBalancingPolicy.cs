using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing;

/// <summary>
/// YARP's load-balancing extension point for weighted canaries (<c>ingress.weight</c>): picks the service by the cluster's
/// <see cref="WeightedSplit"/>, then a replica of that service with the services' own policy (<c>ingress.lb</c>, round robin
/// by default). A service with no replica available (ejected, retried away from, or scaled to zero) passes its turn to
/// the next service in the schedule, so its share goes elsewhere rather than failing.
/// </summary>
/// <remarks>
/// Weights are per service, not per replica: scaling one service changes neither its share nor the others'. The turn counter
/// is kept per cluster across config changes, so a scaling does not restart the cycle.
/// </remarks>
internal sealed class WeightedLoadBalancingPolicy(IServiceProvider services) : ILoadBalancingPolicy
{
    /// <summary>The policy name weighted clusters use.</summary>
    public const string PolicyName = "IngressWeighted";

    private readonly ConditionalWeakTable<ClusterState, Turns> _turns = new();
    private Dictionary<string, ILoadBalancingPolicy>? _replicaPolicies;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var turns = _turns.GetValue(cluster, static _ => new Turns());
        var split = turns.Split;
        if (split is null || !ReferenceEquals(split.Model, cluster.Model))
        {
            turns.Split = split = WeightedSplit.Of(cluster.Model);
        }

        if (split is null || split.Schedule.Length == 0)
        {
            return null;
        }

        var parts = split.PartitionOf(availableDestinations);
        var turn = (ulong)Interlocked.Increment(ref turns.Count) - 1;
        for (var skip = 0; skip < split.Schedule.Length; skip++)
        {
            var replicas = parts[split.Schedule[(int)((turn + (ulong)skip) % (ulong)split.Schedule.Length)]];
            if (replicas.Length > 0)
            {
                return replicas.Length == 1 ? replicas[0] : ReplicaPolicy(split.ReplicaPolicy).PickDestination(context, cluster, replicas);
            }
        }

        return null;
    }

    /// <summary>The built-in policies, resolved on first use: this policy is one of them, so they cannot be injected.</summary>
    private ILoadBalancingPolicy ReplicaPolicy(string name)
    {
        var policies = _replicaPolicies ??= services.GetServices<ILoadBalancingPolicy>()
            .Where(p => p.Name != PolicyName)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        return policies.TryGetValue(name, out var policy) ? policy : policies[LoadBalancingPolicies.RoundRobin];
    }

    private sealed class Turns
    {
        public long Count;

        public WeightedSplit? Split;
    }
}
