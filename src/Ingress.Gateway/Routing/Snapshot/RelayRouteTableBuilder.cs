using System.Globalization;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing.Snapshot;

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
    /// <param name="tracing">Tracing is on: every route's requests need the YARP pipeline, which records their spans.</param>
    public static RelayRouteTable Build(
        IEnumerable<RouteModel> routes, IReadOnlyList<int> entryPorts, Func<ClusterState, RelayCluster?> clusterFor, Func<RouteModel, RouteShape>? shapeOf = null,
        bool tracing = false)
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
            var handoff = HandoffReason.Cluster;
            if (model.Config.Redirect(out _) is { RedirectsCleartext: true })
            {
                // The relay serves cleartext only, where such a route may answer a redirect: the YARP path answers it.
                handoff = HandoffReason.Redirect;
            }
            else if (HasPolicy(model))
            {
                handoff = HandoffReason.Policy;
            }
            else if (tracing)
            {
                // The relay creates no Activity: ASP.NET Core's server span and HttpClient's attempt spans need the YARP path.
                handoff = HandoffReason.Tracing;
            }
            else if (model.Cluster is { } state && !clusters.TryGetValue(state, out cluster))
            {
                clusters[state] = cluster = clusterFor(state);
            }

            var isStatic = model.Config.Metadata?.ContainsKey(RouteMetadata.DiscoveredKey) != true;
            var route = new RelayRoute(model, shape.PathPrefix, shape.Hosts.Length > 0, isStatic, shape.Precedence, cluster, handoff, TlsHandoff(model));
            foreach (var port in targets)
            {
                port.Add(route, shape.Hosts);
            }
        }

        return new RelayRouteTable([.. ports.Select(p => p.Build())]);
    }

    /// <summary>
    /// Whether the route has a traffic policy, which the YARP path applies and the relay does not: paths, headers and
    /// compression (YARP transforms, ASP.NET Core middleware), the client policies (allow-list, rate limit, CORS: ASP.NET
    /// Core middleware), basic and forward auth (so a request never reaches a replica unchecked) and sticky sessions
    /// (YARP's session affinity reads and writes the cookie).
    /// </summary>
    private static bool HasPolicy(RouteModel model) =>
        model.Config.Policies(out _) is not null
        || model.Config.ClientPolicies(out _) is not null
        || model.Config.Access(out _) is not null
        || model.Cluster?.Model?.Config.SessionAffinity is { Enabled: true };

    /// <summary>
    /// What a route does over TLS only, which the YARP path does: a redirect that applies to https requests (to http, or
    /// to another host), and <c>Strict-Transport-Security</c>, sent over TLS only.
    /// </summary>
    private static HandoffReason TlsHandoff(RouteModel model) =>
        model.Config.Redirect(out _) is { RedirectsTls: true } ? HandoffReason.Redirect
        : model.Config.Hsts(out _) is not null ? HandoffReason.Policy
        : HandoffReason.None;

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
