using System.Text;
using System.Globalization;
using Ingress.Gateway.Http1;
using Ingress.Gateway.ProxyConfig;
using Microsoft.AspNetCore.Routing.Patterns;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Forwarding.Relay;

/// <summary>
/// Builds the relay's <see cref="RelayRouteTable"/> from the routes YARP has applied. A pure function of the routes
/// and the entry ports, so the table's agreement with ASP.NET Core routing is unit-tested without sockets.
/// </summary>
internal static class RelayRouteTableBuilder
{
    /// <summary>Builds the table.</summary>
    /// <param name="routes">YARP's routes (<c>IProxyStateLookup.GetRoutes()</c>).</param>
    /// <param name="entryPorts">The gateway's entry ports.</param>
    /// <param name="clusterFor">The relay's view of a cluster, or null when its requests need the YARP pipeline.</param>
    /// <param name="shapeOf">What a route matches (<see cref="RouteShape.Of"/>), which a caller may cache.</param>
    public static RelayRouteTable Build(
        IEnumerable<RouteModel> routes, IReadOnlyList<int> entryPorts, Func<ClusterState, RelayCluster?> clusterFor, Func<RouteModel, RouteShape>? shapeOf = null)
    {
        var clusters = new Dictionary<ClusterState, RelayCluster?>();
        var ports = entryPorts.Distinct().Select(port => new PortBuilder(port)).ToArray();
        foreach (var model in routes)
        {
            var bound = EntryPort(model.Config);
            var targets = ports.Where(p => bound is null || p.Port == bound).ToArray();
            var shape = shapeOf?.Invoke(model) ?? RouteShape.Of(model.Config);
            if (!shape.Supported)
            {
                foreach (var port in targets)
                {
                    port.Unsupported = true;
                }

                continue;
            }

            RelayCluster? cluster = null;
            if (model.Cluster is { } state && !clusters.TryGetValue(state, out cluster))
            {
                clusters[state] = cluster = clusterFor(state);
            }

            var isStatic = model.Config.Metadata?.ContainsKey(RouteMetadata.DiscoveredKey) != true;
            var route = new RelayRoute(model, shape.PathPrefix, shape.Hosts.Length > 0, isStatic, shape.Precedence, cluster);
            foreach (var port in targets)
            {
                port.Add(route, shape.Hosts);
            }
        }

        return new RelayRouteTable([.. ports.Select(p => p.Build())]);
    }

    /// <summary>
    /// The relay evaluates a route whose match is hosts (exact names or <c>*.suffix</c>) and a path of literal segments
    /// ending in a catch-all, and which has no per-route policy or transform; anything else is left to ASP.NET Core.
    /// </summary>
    internal static bool Describe(RouteConfig route, out string prefix, out decimal precedence, out string[] hosts)
    {
        prefix = "";
        precedence = 0;
        hosts = [];
        var match = route.Match;
        if (match.Methods is { Count: > 0 } || match.Headers is { Count: > 0 } || match.QueryParameters is { Count: > 0 }
            || route.AuthorizationPolicy is not null || route.CorsPolicy is not null || route.RateLimiterPolicy is not null
            || route.OutputCachePolicy is not null || route.TimeoutPolicy is not null || route.Timeout is not null
            || route.MaxRequestBodySize is not null || route.Transforms is { Count: > 0 })
        {
            return false;
        }

        if (match.Hosts is { Count: > 0 })
        {
            foreach (var host in match.Hosts)
            {
                var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
                if (name.Length == 0 || !Ascii.IsValid(name) || name.AsSpan().IndexOfAnyExcept(HostNameChars) >= 0)
                {
                    // "*", host:port, IDN and the like: ASP.NET Core's host matcher has rules of its own for them.
                    return false;
                }
            }

            hosts = [.. match.Hosts];
        }

        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(match.Path ?? "/{**catchall}");
        }
        catch (RoutePatternException)
        {
            return false;
        }

        var segments = pattern.PathSegments;
        if (segments.Count == 0 || segments[^1].Parts is not [RoutePatternParameterPart { IsCatchAll: true, Default: null, ParameterPolicies.Count: 0 }])
        {
            return false;
        }

        var literal = new StringBuilder();
        for (var i = 0; i < segments.Count - 1; i++)
        {
            if (segments[i].Parts is not [RoutePatternLiteralPart part] || !IsPlainSegment(part.Content))
            {
                return false;
            }

            literal.Append('/').Append(part.Content);
        }

        prefix = literal.ToString();
        precedence = pattern.InboundPrecedence;
        return true;
    }

    /// <summary>A literal segment the relay compares as bytes: plain path characters, and not a dot segment.</summary>
    private static bool IsPlainSegment(string content) =>
        content.Length > 0 && content is not ("." or "..") && Ascii.IsValid(content)
        && Encoding.ASCII.GetBytes(content).AsSpan().IndexOfAnyExcept(HttpSyntax.PlainPathChars) < 0
        && !content.Contains('/');

    private static readonly System.Buffers.SearchValues<char> HostNameChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    private static int? EntryPort(RouteConfig route) =>
        route.Metadata?.TryGetValue(RouteMetadata.EntryPortKey, out var value) == true
        && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;

    private sealed class PortBuilder(int port)
    {
        private readonly Dictionary<string, HashSet<RelayRoute>> _exact = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, HashSet<RelayRoute>> _wildcard = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, HashSet<string>> _spellings = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<RelayRoute> _hostless = [];

        public int Port { get; } = port;

        public bool Unsupported { get; set; }

        public void Add(RelayRoute route, string[] hosts)
        {
            if (hosts.Length == 0)
            {
                _hostless.Add(route);
                return;
            }

            foreach (var host in hosts)
            {
                var (table, key) = host.StartsWith("*.", StringComparison.Ordinal) ? (_wildcard, host[1..]) : (_exact, host);
                if (!table.TryGetValue(key, out var set))
                {
                    table[key] = set = [];
                }

                set.Add(route);
                if (!_spellings.TryGetValue(host, out var spellings))
                {
                    _spellings[host] = spellings = new HashSet<string>(StringComparer.Ordinal);
                }

                spellings.Add(host);
            }
        }

        public PortRoutes Build() => new(
            Port,
            Unsupported,
            _exact.ToDictionary(p => p.Key, p => new RouteGroup(p.Value, CaseVariants(p.Key)), StringComparer.OrdinalIgnoreCase),
            [.. _wildcard.Select(p => (p.Key, new RouteGroup(p.Value, CaseVariants("*" + p.Key))))],
            new RouteGroup(_hostless));

        private bool CaseVariants(string host) => _spellings.TryGetValue(host, out var spellings) && spellings.Count > 1;
    }
}

/// <summary>What one route matches, as the relay evaluates it; <see cref="Supported"/> false when it cannot.</summary>
/// <param name="Supported">The relay can evaluate the route's match (see <see cref="Of"/>).</param>
/// <param name="PathPrefix">The literal path prefix without a trailing slash; empty for the root.</param>
/// <param name="Precedence">ASP.NET Core's inbound precedence of the path pattern.</param>
/// <param name="Hosts">Host names and <c>*.suffix</c> wildcards; empty for any host.</param>
internal sealed record RouteShape(bool Supported, string PathPrefix, decimal Precedence, string[] Hosts)
{
    private static readonly RouteShape s_unsupported = new(false, "", 0, []);

    /// <summary>Describes <paramref name="route"/>.</summary>
    public static RouteShape Of(RouteConfig route) =>
        RelayRouteTableBuilder.Describe(route, out var prefix, out var precedence, out var hosts) ? new(true, prefix, precedence, hosts) : s_unsupported;
}
