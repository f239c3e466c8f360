namespace Ingress.Gateway.Routing;

/// <summary>
/// What a route claims: no two services may claim the same entry port, host and path. Compared the way ASP.NET
/// Core routing matches (<see cref="MatchComparer"/>), since two routes it cannot tell apart make every request
/// they both match fail with an ambiguous-match 500.
/// </summary>
internal readonly record struct RouteKey(int EntryPort, string Host, string Path)
{
    /// <summary>Host names and path literals match case-insensitively.</summary>
    public static readonly IEqualityComparer<RouteKey> MatchComparer = new IgnoreCaseComparer();

    public override string ToString() => Host == "*" ? $":{EntryPort}{Path}" : $"{Host}:{EntryPort}{Path}";

    private sealed class IgnoreCaseComparer : IEqualityComparer<RouteKey>
    {
        public bool Equals(RouteKey x, RouteKey y) =>
            x.EntryPort == y.EntryPort
            && string.Equals(x.Host, y.Host, StringComparison.OrdinalIgnoreCase)
            && string.Equals(x.Path, y.Path, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode(RouteKey key) => HashCode.Combine(
            key.EntryPort, StringComparer.OrdinalIgnoreCase.GetHashCode(key.Host), StringComparer.OrdinalIgnoreCase.GetHashCode(key.Path));
    }
}
