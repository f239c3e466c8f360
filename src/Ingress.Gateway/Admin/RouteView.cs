using System.Globalization;
using System.Net;
using Ingress.Gateway.Access;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;
using Ingress.Gateway.Telemetry;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Admin;

/// <summary>
/// One route YARP serves, discovered or static, as shown on <c>/api/state</c>: where it matches, where it sends requests,
/// how healthy those destinations are, and the policies it applies.
/// </summary>
/// <param name="Id">YARP's route ID.</param>
/// <param name="Source">The discovered service the route belongs to, or <c>static</c> for a <c>ReverseProxy</c> route.</param>
/// <param name="Service">The <c>service</c> label of its requests in <c>/metrics</c> (the cluster's service name, else the cluster ID).</param>
/// <param name="EntryPorts">The entry ports it matches on (a static route without <c>ingress.entryPort</c>: all of them).</param>
/// <param name="Policies">
/// Everything the route and its cluster apply beyond matching and balancing, as name and value: new kinds of policy (route
/// metadata, transforms, YARP route policies) appear here without a change of this document's shape.
/// </param>
internal sealed record RouteView(
    string Id,
    string Source,
    string Service,
    IReadOnlyList<int> EntryPorts,
    RouteMatchView Match,
    string Cluster,
    string? LoadBalancing,
    IReadOnlyList<DestinationView> Destinations,
    IReadOnlyList<PolicyView> Policies)
{
    /// <summary>The <see cref="Source"/> of a route from the <c>ReverseProxy</c> configuration.</summary>
    public const string Static = "static";

    /// <summary>Every route YARP serves: static routes first, then discovered ones, each by ID.</summary>
    /// <param name="defaultTimeout">The gateway's request timeout (<c>Ingress:Resilience:RequestTimeout</c>): a cluster with it sets none of its own.</param>
    /// <param name="usersFiles">The users files of basic-auth routes, whose state is shown with them; null to leave it out.</param>
    public static List<RouteView> AllFrom(IProxyStateLookup proxy, IReadOnlyList<int> entryPorts, RouteTable table, ReplicaStats stats, TimeSpan defaultTimeout, UsersFiles? usersFiles = null)
    {
        var acme = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var state in table.Services)
        {
            if (!state.AcmeNames.IsEmpty)
            {
                acme[state.Service.Name] = string.Join(",", state.AcmeNames);
            }
        }

        var routes = new List<RouteView>();
        foreach (var route in proxy.GetRoutes())
        {
            routes.Add(From(route, entryPorts, acme, stats, defaultTimeout, usersFiles));
        }

        routes.Sort((a, b) => (a.Source == Static, b.Source == Static) switch
        {
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(a.Id, b.Id),
        });
        return routes;
    }

    private static RouteView From(RouteModel route, IReadOnlyList<int> entryPorts, Dictionary<string, string> acme, ReplicaStats stats, TimeSpan defaultTimeout, UsersFiles? usersFiles)
    {
        var config = route.Config;
        var metadata = config.Metadata;
        var discovered = metadata?.GetValueOrDefault(RouteMetadata.DiscoveredKey) == "true";
        var source = discovered ? metadata!.GetValueOrDefault(RouteMetadata.ServiceKey) ?? config.RouteId : Static;
        IReadOnlyList<int> ports = metadata?.GetValueOrDefault(RouteMetadata.EntryPortKey) is { } port
            && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var bound)
                ? [bound]
                : entryPorts;

        var cluster = route.Cluster;
        var clusterConfig = cluster?.Model.Config;
        var destinations = new List<DestinationView>();
        if (cluster is not null)
        {
            foreach (var destination in cluster.Destinations.Values)
            {
                destinations.Add(DestinationView.From(cluster, destination, stats));
            }

            destinations.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        }

        return new RouteView(
            config.RouteId,
            source,
            clusterConfig?.ServiceName() ?? config.ClusterId ?? "",
            ports,
            new RouteMatchView(config.Match.Hosts, config.Match.Path, config.Match.Methods),
            config.ClusterId ?? "",
            clusterConfig?.LoadBalancingPolicy,
            destinations,
            RoutePolicies.Of(config, clusterConfig, discovered ? acme.GetValueOrDefault(source) : null, defaultTimeout, usersFiles));
    }
}

/// <summary>What a route matches: host names (null: any), path pattern and methods (null: any).</summary>
internal sealed record RouteMatchView(IReadOnlyList<string>? Hosts, string? Path, IReadOnlyList<string>? Methods);

/// <summary>One destination of a route's cluster: its health in the gateway's words, and what it has served.</summary>
internal sealed record DestinationView(string Id, string Address, string Health, long Requests, long Failures, double TotalSeconds)
{
    public static DestinationView From(ClusterState cluster, DestinationState destination, ReplicaStats stats)
    {
        var (requests, failures, seconds) = stats.Read(destination);
        return new DestinationView(destination.DestinationId, destination.Model.Config.Address, ReplicaView.HealthOf(cluster, destination), requests, failures, seconds);
    }
}

/// <summary>One policy a route applies, e.g. <c>timeout</c> = <c>30s</c> or <c>transform</c> = <c>PathRemovePrefix=/api</c>.</summary>
internal sealed record PolicyView(string Name, string Value);

/// <summary>
/// Reads a route's policies from its live YARP config, so a new policy written as route metadata, as a transform or as a
/// YARP route policy shows without code here.
/// </summary>
/// <remarks>
/// What every route has from the gateway's settings is left out: the default request timeout, passive health, the
/// rotation policy. Known policies get a short name and a readable value: <c>timeout</c>, <c>healthCheck</c>, <c>scheme</c> (h2c),
/// <c>redirect</c>, <c>hsts</c>, <c>acme</c>. Any other route or cluster metadata key is listed as itself, each transform
/// as <c>transform</c>, and each YARP route policy (authorization, rate limiter, ...) by its property name.
/// </remarks>
internal static class RoutePolicies
{
    /// <summary>Metadata the gateway keeps for itself: where a route came from and which port it is bound to, not policies.</summary>
    private static readonly HashSet<string> s_bookkeeping = new(StringComparer.Ordinal)
    {
        RouteMetadata.EntryPortKey, RouteMetadata.ServiceKey, RouteMetadata.DiscoveredKey,
    };

    private const string RedirectPrefix = "ingress.redirect.";
    private const string HstsPrefix = "ingress.hsts.";

    public static List<PolicyView> Of(RouteConfig route, ClusterConfig? cluster, string? acmeNames, TimeSpan defaultTimeout, UsersFiles? usersFiles = null)
    {
        var policies = new List<PolicyView>();
        if (cluster?.HttpRequest is { } request)
        {
            if (request.ActivityTimeout is { } timeout && timeout != defaultTimeout)
            {
                policies.Add(new("timeout", Duration(timeout)));
            }

            if (request.Version == HttpVersion.Version20 && request.VersionPolicy == HttpVersionPolicy.RequestVersionExact)
            {
                policies.Add(new("scheme", "h2c"));
            }
            else if (request.Version is { } version)
            {
                policies.Add(new("httpVersion", $"{version} {request.VersionPolicy}"));
            }
        }

        if (cluster?.HealthCheck?.Active is { Enabled: true } active)
        {
            var query = string.IsNullOrEmpty(active.Query) ? "" : active.Query;
            policies.Add(new("healthCheck", $"{active.Path ?? "/"}{query} every {Duration(active.Interval ?? HealthProbe.DefaultInterval)}, timeout {Duration(active.Timeout ?? HealthProbe.DefaultTimeout)}"));
        }

        if (cluster?.SessionAffinity is { Enabled: true } affinity)
        {
            policies.Add(new("sessionAffinity", $"{affinity.Policy ?? "default"} cookie={affinity.AffinityKeyName ?? "default"}"));
        }

        if (route.Redirect(out _) is { } redirect)
        {
            // scheme=https host=example.com port=8443, from the canonical labels the rule stands for.
            var target = string.Join(" ", redirect.ToLabels()
                .Where(l => l.Key != IngressLabels.RedirectPermanent)
                .Select(l => $"{l.Key[RedirectPrefix.Length..]}={l.Value}"));
            policies.Add(new("redirect", $"{target} ({(redirect.Permanent ? "308" : "307")})"));
        }

        if (route.Hsts(out _) is { } hsts)
        {
            policies.Add(new("hsts", hsts.HeaderValue));
        }

        // Access policies (ingress.auth.*): the users file's state (its user count, or why it refuses every request), never its content.
        if (usersFiles is not null && route.Access(out _) is { Basic: { } basic })
        {
            policies.Add(new("basicAuth", usersFiles.Describe(basic.UsersFile)));
        }

        if (acmeNames is not null)
        {
            policies.Add(new("acme", acmeNames));
        }

        AddClientPolicies(policies, route);

        AddMetadata(policies, route.Metadata);
        AddMetadata(policies, cluster?.Metadata);
        foreach (var transform in route.Transforms ?? [])
        {
            policies.Add(new("transform", string.Join(", ", transform.Select(t => $"{t.Key}={t.Value}"))));
        }

        Add(policies, "authorizationPolicy", route.AuthorizationPolicy);
        Add(policies, "rateLimiterPolicy", route.RateLimiterPolicy);
        Add(policies, "outputCachePolicy", route.OutputCachePolicy);
        Add(policies, "corsPolicy", route.CorsPolicy);
        Add(policies, "timeoutPolicy", route.TimeoutPolicy);
        Add(policies, "requestTimeout", route.Timeout is { } requestTimeout ? Duration(requestTimeout) : null);
        Add(policies, "maxRequestBodySize", route.MaxRequestBodySize?.ToString(CultureInfo.InvariantCulture));
        return policies;
    }

    private static void AddMetadata(List<PolicyView> policies, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            // Redirect and HSTS are listed above, once, as what they do.
            if (!s_bookkeeping.Contains(key)
                && !key.StartsWith(RedirectPrefix, StringComparison.Ordinal)
                && !key.StartsWith(HstsPrefix, StringComparison.Ordinal)
                && !IsClientPolicyKey(key))
            {
                policies.Add(new(key, value));
            }
        }
    }

    // --- Client policies (ingress.ipallowlist, ingress.ratelimit.*, ingress.cors.*): listed once each, as what they do. ---

    private static void AddClientPolicies(List<PolicyView> policies, RouteConfig route)
    {
        if (route.ClientPolicies(out _) is not { } client)
        {
            return;
        }

        if (client.AllowList is { } allowList)
        {
            policies.Add(new("ipAllowList", allowList.ToString()));
        }

        if (client.RateLimit is { } limit)
        {
            policies.Add(new("rateLimit", string.Create(CultureInfo.InvariantCulture,
                $"{limit.Average} per {Duration(limit.Period)}, burst {limit.Burst}, per client address, per gateway")));
        }

        if (client.Cors is { } cors)
        {
            policies.Add(new("cors", string.Join(" ", cors.ToLabels().Select(l => $"{l.Key["ingress.cors.".Length..]}={l.Value}"))));
        }
    }

    private static bool IsClientPolicyKey(string key) =>
        key == IngressLabels.IpAllowList || key.StartsWith("ingress.ratelimit.", StringComparison.Ordinal) || key.StartsWith("ingress.cors.", StringComparison.Ordinal);

    // --- End of client policies. ---

    private static void Add(List<PolicyView> policies, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            policies.Add(new(name, value));
        }
    }

    /// <summary>As the labels write durations: <c>30s</c>, <c>1500ms</c>.</summary>
    internal static string Duration(TimeSpan duration) =>
        duration.Ticks % TimeSpan.TicksPerSecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalSeconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds}ms");
}
