using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Forwarding.Relay;

/// <summary>
/// The routes of every entry port as the relay matches them: an immutable snapshot, rebuilt whenever YARP applies a new
/// configuration. It picks exactly the route ASP.NET Core routing would pick, or hands the request to Kestrel when it
/// cannot be sure (a route it does not evaluate, an ambiguous match, no match at all).
/// </summary>
internal sealed class RelayRouteTable
{
    public static readonly RelayRouteTable Empty = new([]);

    private readonly PortRoutes[] _ports;

    public RelayRouteTable(PortRoutes[] ports) => _ports = ports;

    /// <summary>The routes of entry port <paramref name="port"/>, or null when nothing is known about it.</summary>
    public PortRoutes? ForPort(int port)
    {
        foreach (var routes in _ports)
        {
            if (routes.Port == port)
            {
                return routes;
            }
        }

        return null;
    }
}

/// <summary>The routes that can match on one entry port, indexed by host and by first path segment.</summary>
internal sealed class PortRoutes
{
    /// <summary>Longest host name or first path segment looked up by key; longer ones are Kestrel's.</summary>
    private const int MaxKeyLength = 256;

    private readonly Dictionary<string, RouteGroup>.AlternateLookup<ReadOnlySpan<char>> _exactHosts;
    private readonly (byte[] Suffix, RouteGroup Group)[] _wildcardHosts;
    private readonly RouteGroup _hostless;

    public PortRoutes(int port, bool unsupported, Dictionary<string, RouteGroup> exactHosts, (string Suffix, RouteGroup Group)[] wildcardHosts, RouteGroup hostless)
    {
        Port = port;
        Unsupported = unsupported;
        _exactHosts = exactHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardHosts = [.. wildcardHosts.Select(w => (Encoding.ASCII.GetBytes(w.Suffix), w.Group))];
        _hostless = hostless;
    }

    public int Port { get; }

    /// <summary>A route the relay does not evaluate (header, method or query matches, a path with parameters, ...) applies to this port.</summary>
    public bool Unsupported { get; }

    /// <summary>
    /// The route for a request to <paramref name="hostName"/> (without its port) and <paramref name="path"/>, or null and
    /// <see cref="HandoffReason.Route"/> when Kestrel must decide.
    /// </summary>
    /// <remarks>
    /// Mirrors ASP.NET Core's matcher: among the routes whose path matches, routes naming the request's host exactly
    /// shut out wildcard-host routes (the host jump table takes the exact edge first), host-less routes compete with
    /// either, and the best by <see cref="RelayRoute.Compare"/> wins; a tie would be an ambiguous match.
    /// </remarks>
    public RelayRoute? Match(ReadOnlySpan<byte> hostName, ReadOnlySpan<byte> path, out HandoffReason reason)
    {
        reason = HandoffReason.Route;
        if (Unsupported || hostName.Length > MaxKeyLength)
        {
            return null;
        }

        var segmentLength = path.Length <= 1 ? 0 : path[1..].IndexOf((byte)'/') is var slash and >= 0 ? slash : path.Length - 1;
        if (segmentLength > MaxKeyLength)
        {
            return null;
        }

        Span<char> segment = stackalloc char[segmentLength];
        Ascii.ToUtf16(path.Slice(1, segmentLength), segment, out _);

        RelayRoute? hostBest = null;
        var hostTie = false;
        if (_exactHosts.Dictionary.Count > 0)
        {
            Span<char> host = stackalloc char[hostName.Length];
            Ascii.ToUtf16(hostName, host, out _);
            if (_exactHosts.TryGetValue(host, out var exact))
            {
                hostBest = exact.Best(segment, path, out hostTie);
            }
        }

        if (hostBest is null && _wildcardHosts.Length > 0 && hostName[0] != '.' && hostName.IndexOf(".."u8) < 0)
        {
            foreach (var (suffix, group) in _wildcardHosts)
            {
                if (hostName.Length > suffix.Length && Ascii.EqualsIgnoreCase(hostName[^suffix.Length..], suffix)
                    && group.Best(segment, path, out var tie) is { } candidate)
                {
                    if (hostBest is not null)
                    {
                        // Two wildcard edges match: ASP.NET Core's choice between them is not defined; Kestrel's.
                        return null;
                    }

                    hostBest = candidate;
                    hostTie = tie;
                }
            }
        }

        var hostlessBest = _hostless.Best(segment, path, out var hostlessTie);
        var hostWins = hostBest is not null && (hostlessBest is null || RelayRoute.Compare(hostBest, hostlessBest) < 0);
        var winner = hostWins ? hostBest : hostlessBest;
        if (winner is null || (hostWins ? hostTie : hostlessTie))
        {
            return null;
        }

        reason = HandoffReason.None;
        return winner;
    }
}

/// <summary>Routes that share a host edge, by the first segment of their path prefix, each list in rank order.</summary>
internal sealed class RouteGroup
{
    private readonly RelayRoute[] _root;
    private readonly Dictionary<string, RelayRoute[]>.AlternateLookup<ReadOnlySpan<char>> _bySegment;

    public RouteGroup(IEnumerable<RelayRoute> routes)
    {
        var root = new List<RelayRoute>();
        var bySegment = new Dictionary<string, List<RelayRoute>>(StringComparer.OrdinalIgnoreCase);
        foreach (var route in routes)
        {
            if (route.PathPrefix.Length == 0)
            {
                root.Add(route);
                continue;
            }

            var prefix = Encoding.ASCII.GetString(route.PathPrefix);
            var slash = prefix.IndexOf('/', 1);
            var first = slash < 0 ? prefix[1..] : prefix[1..slash];
            if (!bySegment.TryGetValue(first, out var list))
            {
                bySegment[first] = list = [];
            }

            list.Add(route);
        }

        _root = Sorted(root);
        _bySegment = bySegment.ToDictionary(p => p.Key, p => Sorted(p.Value), StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The best route of this group whose path matches; <paramref name="tie"/> when another ranks the same.</summary>
    public RelayRoute? Best(ReadOnlySpan<char> firstSegment, ReadOnlySpan<byte> path, out bool tie)
    {
        var best = BestOf(_root, path, out tie);
        if (_bySegment.Dictionary.Count > 0 && _bySegment.TryGetValue(firstSegment, out var routes)
            && BestOf(routes, path, out var segmentTie) is { } candidate)
        {
            var compared = best is null ? -1 : RelayRoute.Compare(candidate, best);
            if (compared < 0)
            {
                best = candidate;
                tie = segmentTie;
            }
            else if (compared == 0)
            {
                tie = true;
            }
        }

        return best;
    }

    private static RelayRoute? BestOf(RelayRoute[] ranked, ReadOnlySpan<byte> path, out bool tie)
    {
        tie = false;
        RelayRoute? best = null;
        foreach (var route in ranked)
        {
            if (!route.MatchesPath(path))
            {
                continue;
            }

            if (best is null)
            {
                best = route;
                continue;
            }

            // Ranked: the first match is the best; the next match either ties with it or ranks lower, and so do the rest.
            tie = RelayRoute.Compare(route, best) == 0;
            break;
        }

        return best;
    }

    private static RelayRoute[] Sorted(List<RelayRoute> routes)
    {
        var array = routes.ToArray();
        Array.Sort(array, RelayRoute.Compare);
        return array;
    }
}
