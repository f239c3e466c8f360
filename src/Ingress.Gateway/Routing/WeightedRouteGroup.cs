using Ingress.Gateway.Discovery;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Services that declare the same rule (entry port, host names and path) and all carry <c>ingress.weight</c>: they share one
/// route, whose cluster holds every service's replicas, tagged by service, and splits requests by the services' weights
/// (<see cref="WeightedLoadBalancingPolicy"/>). The oldest service owns the route; the others join it if they ask for the
/// same handling of requests, as one route can only have one.
/// </summary>
internal sealed class WeightedRouteGroup
{
    private readonly List<(SwarmService Service, int Weight, RouteTableBuilder.PlannedRoute Candidate)> _members = [];

    /// <param name="owner">The oldest service declaring the rule, with a weight.</param>
    /// <param name="weight">Its weight.</param>
    /// <param name="candidate">Its route and cluster for the rule.</param>
    /// <param name="routeIndex">Where its route sits in the table being built, to be replaced by the shared one.</param>
    public WeightedRouteGroup(SwarmService owner, int weight, RouteTableBuilder.PlannedRoute candidate, int routeIndex)
    {
        _members.Add((owner, weight, candidate));
        RouteIndex = routeIndex;
    }

    public int RouteIndex { get; }

    /// <summary>True once a second service joined: only then does the route change.</summary>
    public bool IsShared => _members.Count > 1;

    private RouteTableBuilder.PlannedRoute Owner => _members[0].Candidate;

    private string OwnerName => _members[0].Service.Name;

    /// <summary>Why <paramref name="candidate"/> (the same rule, of a weighted service) cannot share the route, or null when it can.</summary>
    public string? RefusalOf(RouteTableBuilder.PlannedRoute candidate)
    {
        var owner = Owner;
        var cluster = candidate.Cluster with { ClusterId = owner.Cluster.ClusterId, Destinations = owner.Cluster.Destinations, Metadata = owner.Cluster.Metadata };
        if (!cluster.Equals(owner.Cluster))
        {
            return $"shares {owner.Key} by weight with service '{OwnerName}', but sends requests differently: services sharing a route must agree on "
                + $"{IngressLabels.LoadBalancing}, {IngressLabels.Scheme}, {IngressLabels.Timeout}, {IngressLabels.HealthCheckPath}/.interval/.timeout and {IngressLabels.Sticky}*";
        }

        if (!SameExceptService(candidate.Route.Metadata, owner.Route.Metadata))
        {
            return $"shares {owner.Key} by weight with service '{OwnerName}', but handles requests differently: services sharing a route must agree on "
                + "the redirect, HSTS, path, header and compression labels";
        }

        return null;
    }

    /// <summary>Adds a service that passed <see cref="RefusalOf"/>.</summary>
    public void Add(SwarmService service, int weight, RouteTableBuilder.PlannedRoute candidate) => _members.Add((service, weight, candidate));

    /// <summary>The shared route (the owner's, sent to the shared cluster) and the shared cluster.</summary>
    public (RouteConfig Route, ClusterConfig Cluster) Build()
    {
        var owner = Owner;
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        foreach (var (service, _, candidate) in _members)
        {
            foreach (var (id, destination) in candidate.Cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
            {
                destinations.TryAdd(id, destination with { Metadata = new Dictionary<string, string> { [RouteMetadata.ServiceKey] = service.Name } });
            }
        }

        var cluster = owner.Cluster with
        {
            ClusterId = "weighted/" + owner.Route.RouteId,
            LoadBalancingPolicy = WeightedLoadBalancingPolicy.PolicyName,
            Destinations = destinations,
            Metadata = new Dictionary<string, string>
            {
                [RouteMetadata.ServiceKey] = string.Join("+", _members.Select(m => m.Service.Name)),
                [WeightedSplit.WeightsKey] = WeightedSplit.Describe(_members.Select(m => (m.Service.Name, m.Weight))),
                [WeightedSplit.ReplicaPolicyKey] = owner.Cluster.LoadBalancingPolicy ?? Yarp.ReverseProxy.LoadBalancing.LoadBalancingPolicies.RoundRobin,
            },
        };
        return (owner.Route with { ClusterId = cluster.ClusterId }, cluster);
    }

    private static bool SameExceptService(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        var left = (a ?? new Dictionary<string, string>()).Where(p => p.Key != RouteMetadata.ServiceKey);
        var right = (b ?? new Dictionary<string, string>()).Where(p => p.Key != RouteMetadata.ServiceKey);
        return left.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(right.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
