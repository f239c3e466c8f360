using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Routing.Snapshot;

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
    private readonly WildcardEdge[] _wildcardHosts;
    private readonly RouteGroup _hostless;

    public PortRoutes(int port, bool unsupported, Dictionary<string, RouteGroup> exactHosts, (string Suffix, RouteGroup Group)[] wildcardHosts, RouteGroup hostless)
    {
        Port = port;
        Unsupported = unsupported;
        _exactHosts = exactHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        // ASP.NET Core's wildcard edge "*.test" also holds the routes of every wildcard under it ("*.b.test"), whether or
        // not they match the request's host: HostMatcherPolicy.GetEdges adds them, and nothing filters them out later.
        _wildcardHosts = [.. wildcardHosts.Select(w => new WildcardEdge(
            Encoding.ASCII.GetBytes(w.Suffix),
            w.Group,
            [.. wildcardHosts.Where(k => k.Suffix.EndsWith(w.Suffix, StringComparison.OrdinalIgnoreCase)).Select(k => k.Group)]))];
        _hostless = hostless;
    }

    public int Port { get; }

    /// <summary>A route the relay does not evaluate (header, method or query matches, a path with parameters, ...) applies to this port.</summary>
    public bool Unsupported { get; }

    /// <summary>
    /// The route for a request to <paramref name="hostName"/> (without its port) and <paramref name="path"/>, or null and
    /// <see cref="HandoffReason.Route"/> when there is none or Kestrel must decide.
    /// </summary>
    /// <remarks>
    /// Mirrors ASP.NET Core's matcher: among the routes whose path matches, routes naming the request's host exactly
    /// shut out wildcard-host routes (the host jump table takes the exact edge first), host-less routes compete with
    /// either, and the best by <see cref="RelayRoute.Compare"/> wins; a tie would be an ambiguous match.
    /// </remarks>
    public RelayRoute? Match(ReadOnlySpan<byte> hostName, ReadOnlySpan<byte> path, out HandoffReason reason) =>
        Match(hostName, path, out reason, out _);

    /// <summary>
    /// As <see cref="Match(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out HandoffReason)"/>, and tells its two null results
    /// apart: <c>undecided</c> is false when no route matches at all (ASP.NET Core answers 404) and true when only
    /// Kestrel's matcher can decide.
    /// </summary>
    public RelayRoute? Match(ReadOnlySpan<byte> hostName, ReadOnlySpan<byte> path, out HandoffReason reason, out bool undecided)
    {
        reason = HandoffReason.Route;
        undecided = true;
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
            if (_exactHosts.TryGetValue(host, out var exact) && exact.Best(segment, path, out hostTie) is { } candidate)
            {
                if (exact.HasCaseVariants)
                {
                    // "A.test" and "a.test" are two host edges to ASP.NET Core, in no defined order: Kestrel's.
                    return null;
                }

                hostBest = candidate;
            }
        }

        if (hostBest is null && _wildcardHosts.Length > 0 && hostName[0] != '.' && hostName.IndexOf(".."u8) < 0)
        {
            WildcardEdge? edge = null;
            foreach (var wildcard in _wildcardHosts)
            {
                // The edge exists where its own routes' paths match; the jump table then takes the one matching the host.
                if (hostName.Length > wildcard.Suffix.Length && Ascii.EqualsIgnoreCase(hostName[^wildcard.Suffix.Length..], wildcard.Suffix)
                    && wildcard.Group.Best(segment, path, out _) is not null)
                {
                    if (edge is not null || wildcard.Group.HasCaseVariants)
                    {
                        // Two wildcard edges match: ASP.NET Core's choice between them is not defined; Kestrel's.
                        return null;
                    }

                    edge = wildcard;
                }
            }

            foreach (var group in edge?.Under ?? [])
            {
                Ranking.Consider(ref hostBest, ref hostTie, group.Best(segment, path, out var tie), tie);
            }
        }

        var hostlessBest = _hostless.Best(segment, path, out var hostlessTie);
        var hostWins = hostBest is not null && (hostlessBest is null || RelayRoute.Compare(hostBest, hostlessBest) < 0);
        var winner = hostWins ? hostBest : hostlessBest;
        if (winner is null)
        {
            undecided = false;
            return null;
        }

        if (hostWins ? hostTie : hostlessTie)
        {
            // Two routes rank the same: ASP.NET Core answers an ambiguous match with 500; Kestrel's to do.
            return null;
        }

        reason = HandoffReason.None;
        undecided = false;
        return winner;
    }
}

/// <summary>Folds one more candidate into the best route so far.</summary>
file static class Ranking
{
    public static void Consider(ref RelayRoute? best, ref bool tie, RelayRoute? candidate, bool candidateTie)
    {
        if (candidate is null)
        {
            return;
        }

        if (best is null)
        {
            (best, tie) = (candidate, candidateTie);
            return;
        }

        if (ReferenceEquals(candidate, best))
        {
            // The same route through two groups (a route with several hosts).
            tie |= candidateTie;
            return;
        }

        var compared = RelayRoute.Compare(candidate, best);
        if (compared < 0)
        {
            (best, tie) = (candidate, candidateTie);
        }
        else if (compared == 0)
        {
            tie = true;
        }
    }
}

/// <summary>A wildcard host (<c>*.test</c>: suffix <c>.test</c>), its routes, and the groups ASP.NET Core puts on its edge.</summary>
internal sealed record WildcardEdge(byte[] Suffix, RouteGroup Group, RouteGroup[] Under);

/// <summary>Routes that share a host edge, by the first segment of their path prefix, each list in rank order.</summary>
internal sealed class RouteGroup
{
    private readonly RelayRoute[] _root;
    private readonly Dictionary<string, RelayRoute[]>.AlternateLookup<ReadOnlySpan<char>> _bySegment;

    public RouteGroup(IEnumerable<RelayRoute> routes, bool hasCaseVariants = false)
    {
        HasCaseVariants = hasCaseVariants;
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

    /// <summary>The group's host is spelt in more than one case across its routes (several host edges to ASP.NET Core).</summary>
    public bool HasCaseVariants { get; }

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
