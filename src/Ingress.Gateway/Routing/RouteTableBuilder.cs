using System.Collections.Immutable;
using System.Net;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Routing;

/// <summary>
/// The pure mapping from discovered services to YARP routes and clusters. Deterministic: the same services give
/// equal configs, so an unchanged swarm never reloads YARP. Never throws for any labels.
/// </summary>
public static class RouteTableBuilder
{
    /// <summary>Builds the table for <paramref name="services"/> on a gateway listening on <paramref name="entryPorts"/>.</summary>
    /// <param name="services">Every labelled service from every source.</param>
    /// <param name="entryPorts">The gateway's entry ports; the first one is the default entry port.</param>
    public static RouteTable Build(IEnumerable<SwarmService> services, IReadOnlyList<int> entryPorts) =>
        Build(services, entryPorts, plans: null);

    /// <summary>
    /// Builds the table, taking what a service asked for (its parsed labels, its routes and its cluster) from
    /// <paramref name="plans"/> when the same <see cref="SwarmService"/> instance was planned before. The result is
    /// equal to <see cref="Build(IEnumerable{SwarmService}, IReadOnlyList{int})"/>'s, and an unchanged service keeps
    /// its config objects, which YARP's apply then skips cheaply (<see cref="CachingConfigValidator"/>).
    /// </summary>
    internal static RouteTable Build(IEnumerable<SwarmService> services, IReadOnlyList<int> entryPorts, ServicePlans? plans)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(entryPorts);
        if (entryPorts.Count == 0)
        {
            throw new ArgumentException("At least one entry port is required.", nameof(entryPorts));
        }

        var defaultEntryPort = entryPorts[0];
        if (plans is not null && plans.DefaultEntryPort != defaultEntryPort)
        {
            plans = null;
        }

        // Older services claim routes first, so a newly deployed service can never take a route from a working one.
        var ordered = services
            .OrderBy(s => s.CreatedAt)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ThenBy(s => s.Id, StringComparer.Ordinal);

        var claims = new Dictionary<RouteKey, (string Owner, RouteKey Claimed)>(RouteKey.MatchComparer);
        var routes = new List<RouteConfig>();
        var clusters = new Dictionary<string, ClusterConfig>(StringComparer.Ordinal);
        var states = new List<ServiceRouteState>();
        var groups = new Dictionary<RouteKey, WeightedRouteGroup>(RouteKey.MatchComparer);

        foreach (var service in ordered)
        {
            var plan = plans?.For(service) ?? ServicePlan.Create(service, defaultEntryPort);
            if (plan.Routing is not { } routing)
            {
                states.Add(new ServiceRouteState(service, ServiceRouteStatus.Invalid, plan.Errors, [], null));
                continue;
            }

            if (!routing.Enabled)
            {
                states.Add(new ServiceRouteState(service, ServiceRouteStatus.Disabled, [], [], null));
                continue;
            }

            var problems = ImmutableArray.CreateBuilder<LabelError>();
            var joins = new List<(WeightedRouteGroup Group, PlannedRoute Candidate)>();
            foreach (var candidate in plan.Candidates)
            {
                if (!entryPorts.Contains(candidate.Key.EntryPort))
                {
                    problems.Add(new LabelError(candidate.Label, service.Labels.GetValueOrDefault(candidate.Label),
                        $"the gateway does not listen on entry port {candidate.Key.EntryPort} (it listens on {string.Join(", ", entryPorts)}); add it to Ingress:EntryPorts and publish it in the gateway's ports"));
                }
                else if (routing.Weight is not null && groups.TryGetValue(candidate.Key, out var group))
                {
                    // The same rule as an older weighted service: share its route rather than clash.
                    if (group.RefusalOf(candidate) is { } refusal)
                    {
                        problems.Add(new LabelError(IngressLabels.Weight, service.Labels.GetValueOrDefault(IngressLabels.Weight), refusal));
                    }
                    else
                    {
                        joins.Add((group, candidate));
                    }
                }
                else
                {
                    foreach (var claim in candidate.Claims)
                    {
                        if (claims.TryGetValue(claim, out var existing))
                        {
                            problems.Add(new LabelError(candidate.Label, service.Labels.GetValueOrDefault(candidate.Label),
                                $"clashes with service '{existing.Owner}', which already routes {existing.Claimed}{WeightHint(routing, groups.ContainsKey(candidate.Key))}"));
                        }
                    }
                }
            }

            if (problems.Count > 0)
            {
                states.Add(new ServiceRouteState(service, ServiceRouteStatus.Invalid, problems.ToImmutable(), [], null));
                continue;
            }

            foreach (var candidate in plan.Candidates)
            {
                if (joins.FindIndex(j => j.Candidate == candidate) is var joined and >= 0)
                {
                    joins[joined].Group.Add(service, routing.Weight!.Value, candidate);
                    continue;
                }

                foreach (var claim in candidate.Claims)
                {
                    claims[claim] = (service.Name, claim);
                }

                if (routing.Weight is { } weight)
                {
                    groups[candidate.Key] = new WeightedRouteGroup(service, weight, candidate, routes.Count);
                }

                clusters.TryAdd(candidate.Cluster.ClusterId, candidate.Cluster);
                routes.Add(candidate.Route);
            }

            states.Add(new ServiceRouteState(service, ServiceRouteStatus.Routed, [], plan.Entries, routing.LoadBalancingPolicy)
            {
                AcmeNames = routing is { Acme: true, Rule: { } rule } ? rule.Hosts : [],
            });
        }

        foreach (var group in groups.Values.Where(g => g.IsShared))
        {
            (routes[group.RouteIndex], var shared) = group.Build();
            clusters[shared.ClusterId] = shared;
        }

        return new RouteTable(
            [.. routes.OrderBy(r => r.RouteId, StringComparer.Ordinal)],
            [.. clusters.Values.OrderBy(c => c.ClusterId, StringComparer.Ordinal)],
            [.. states.OrderBy(s => s.Service.Name, StringComparer.Ordinal).ThenBy(s => s.Service.Id, StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Everything about one service that depends on nothing but the service and the default entry port: its parsed
    /// labels, and the route and cluster of each route it asks for. Whether it gets them depends on the other services.
    /// </summary>
    internal sealed class ServicePlan
    {
        private ServicePlan(ServiceRouting? routing, ImmutableArray<LabelError> errors, ImmutableArray<PlannedRoute> candidates)
        {
            Routing = routing;
            Errors = errors;
            Candidates = candidates;
            Entries = [.. candidates.Select(c => $"{c.Key} -> :{c.TargetPort}")];
        }

        /// <summary>The parsed labels; null when they are invalid (<see cref="Errors"/> says why).</summary>
        public ServiceRouting? Routing { get; }

        public ImmutableArray<LabelError> Errors { get; }

        public ImmutableArray<PlannedRoute> Candidates { get; }

        /// <summary>Descriptions of its routes for <c>/api/state</c>, e.g. <c>:8888/* -> :8888</c>.</summary>
        public ImmutableArray<string> Entries { get; }

        public static ServicePlan Create(SwarmService service, int defaultEntryPort)
        {
            var routing = LabelParser.Parse(service.Labels, out var errors);
            if (routing is not { Enabled: true })
            {
                return new ServicePlan(routing, errors, []);
            }

            var candidates = ImmutableArray.CreateBuilder<PlannedRoute>();
            var clusters = new Dictionary<int, ClusterConfig>();
            foreach (var (key, routeId, label, targetPort, hosts) in Plan(service, routing, defaultEntryPort))
            {
                if (!clusters.TryGetValue(targetPort, out var cluster))
                {
                    cluster = ServiceClusters.Build(ClusterId(service, targetPort), service, targetPort, routing);
                    clusters[targetPort] = cluster;
                }

                candidates.Add(new PlannedRoute(key, label, targetPort, hosts.IsEmpty ? [key] : [.. hosts.Select(host => key with { Host = host })],
                    BuildRoute(key, routeId, hosts, service, routing, cluster.ClusterId), cluster));
            }

            return new ServicePlan(routing, errors, candidates.ToImmutable());
        }
    }

    /// <summary>One route a service asks for, with the configs it becomes if it is granted.</summary>
    /// <param name="Claims">One claim per host name: routing matches a request's host against each of them separately.</param>
    internal sealed record PlannedRoute(RouteKey Key, string Label, int TargetPort, ImmutableArray<RouteKey> Claims, RouteConfig Route, ClusterConfig Cluster);

    private static IEnumerable<(RouteKey Key, string RouteId, string Label, int TargetPort, ImmutableArray<string> Hosts)> Plan(
        SwarmService service, ServiceRouting routing, int defaultEntryPort)
    {
        foreach (var mapping in routing.Publish)
        {
            yield return (new RouteKey(mapping.Published, "*", "/"), $"{service.Name}/publish/{mapping.Published}", IngressLabels.Publish, mapping.Target, []);
        }

        if (routing.Rule is { } rule)
        {
            var hostKey = rule.Hosts.IsEmpty ? "*" : string.Join(",", rule.Hosts);
            yield return (new RouteKey(defaultEntryPort, hostKey, rule.PathPrefix), $"{service.Name}/rule",
                rule.Hosts.IsEmpty ? IngressLabels.Path : IngressLabels.Host, rule.Target, rule.Hosts);
        }
    }

    private static RouteConfig BuildRoute(RouteKey key, string routeId, ImmutableArray<string> hosts, SwarmService service, ServiceRouting routing, string clusterId) => new()
    {
        RouteId = routeId,
        ClusterId = clusterId,
        Match = new RouteMatch
        {
            Hosts = hosts.IsEmpty ? null : [.. hosts],
            Path = key.Path == "/" ? "/{**catch-all}" : $"{key.Path}/{{**catch-all}}",
        },
        Metadata = RouteMetadataOf(key, service, routing),
    };

    /// <summary>
    /// The route's metadata: its entry port, its service, and what the YARP path does itself: the redirect, the HSTS
    /// header and the policies, as the labels that ask for them (canonical values), read back by the same <see cref="LabelParser"/>.
    /// A route without a path prefix (a port mapping) has nothing to strip, so it gets the policies without the strip.
    /// </summary>
    private static Dictionary<string, string> RouteMetadataOf(RouteKey key, SwarmService service, ServiceRouting routing)
    {
        var metadata = new Dictionary<string, string>
        {
            [RouteMetadata.EntryPortKey] = key.EntryPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [RouteMetadata.ServiceKey] = service.Name,
            [RouteMetadata.DiscoveredKey] = "true",
        };

        var policies = key.Path == "/" ? routing.Policies?.WithoutStrip() : routing.Policies;
        foreach (var (label, value) in (routing.Redirect?.ToLabels() ?? []).Concat(routing.Hsts?.ToLabels() ?? []).Concat(policies?.ToLabels() ?? []).Concat(routing.Access?.ToLabels() ?? []).Concat(routing.Clients?.ToLabels() ?? []))
        {
            metadata[label] = value;
        }

        return metadata;
    }

    private static string WeightHint(ServiceRouting routing, bool weightedRoute) => routing.Weight is not null || weightedRoute
        ? $" (services share a route by weight only when they declare the same {IngressLabels.Publish} entry port, or the same {IngressLabels.Host} and {IngressLabels.Path}, and all set {IngressLabels.Weight})"
        : "";

    internal static string DestinationAddress(string ip, int port) =>
        IPAddress.TryParse(ip, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"http://[{ip}]:{port}/"
            : $"http://{ip}:{port}/";

    private static string ClusterId(SwarmService service, int targetPort) => $"{service.Name}/{targetPort}";
}
