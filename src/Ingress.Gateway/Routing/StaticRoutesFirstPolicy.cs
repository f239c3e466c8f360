using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Routing.Matching;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Breaks the one tie routing cannot: a static <c>ReverseProxy</c> route and a discovered route that match a request
/// equally well (same order, path, host and entry port) would make every such request fail with an ambiguous-match
/// 500. The static route wins, so that deploying a service never takes traffic from a route the operator configured.
/// </summary>
/// <remarks>
/// Only a tie-breaker: ASP.NET Core compares the route order, the path's precedence and the host first, so a
/// discovered route that is more specific than a static one (a host, a longer path) still wins, as any route would.
/// Discovery marks its endpoints with <see cref="DiscoveredRouteMetadata"/>.
/// </remarks>
internal sealed class StaticRoutesFirstPolicy : MatcherPolicy, IEndpointComparerPolicy
{
    // After the host matcher (-100), so a route with a matching host still beats one without.
    public override int Order => -40;

    public IComparer<Endpoint> Comparer { get; } = new StaticFirstComparer();

    private sealed class StaticFirstComparer : IComparer<Endpoint>
    {
        public int Compare(Endpoint? x, Endpoint? y) =>
            IsDiscovered(x).CompareTo(IsDiscovered(y));

        private static bool IsDiscovered(Endpoint? endpoint) =>
            endpoint?.Metadata.GetMetadata<DiscoveredRouteMetadata>() is not null;
    }
}

/// <summary>Endpoint metadata marking a route that discovery built (see <see cref="RouteMetadata.DiscoveredKey"/>).</summary>
internal sealed class DiscoveredRouteMetadata
{
    public static readonly DiscoveredRouteMetadata Instance = new();

    private DiscoveredRouteMetadata()
    {
    }
}
