using System.Text;
using Ingress.Gateway.Http1;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>
/// One YARP route as the relay matches it: a path prefix (literal segments, then a catch-all), host names, and the
/// ranking ASP.NET Core routing gives it. <see cref="Cluster"/> is null when the route needs the YARP pipeline (its
/// cluster, a redirect, or a policy); a request that picks such a route is handed to Kestrel, for <see cref="Handoff"/>.
/// </summary>
internal sealed class RelayRoute
{
    public RelayRoute(
        RouteModel model, string pathPrefix, bool hasHosts, bool isStatic, decimal precedence, RelayCluster? cluster,
        HandoffReason handoff = HandoffReason.Cluster, HandoffReason tlsHandoff = HandoffReason.None)
    {
        Model = model;
        RouteId = model.Config.RouteId;
        PathPrefix = Encoding.ASCII.GetBytes(pathPrefix);
        HasHosts = hasHosts;
        IsStatic = isStatic;
        Order = model.Config.Order ?? 0;
        Precedence = precedence;
        Cluster = cluster;
        Handoff = cluster is null ? handoff : HandoffReason.None;
        TlsHandoff = cluster is null ? Handoff : tlsHandoff;
    }

    public RouteModel Model { get; }

    public string RouteId { get; }

    /// <summary>The literal part of the path pattern without a trailing slash: empty for a catch-all at the root, else <c>/a/b</c>.</summary>
    public byte[] PathPrefix { get; }

    public bool HasHosts { get; }

    /// <summary>A route from the <c>ReverseProxy</c> configuration rather than from discovery.</summary>
    public bool IsStatic { get; }

    /// <summary>YARP's route order (the endpoint's <c>Order</c>): lower wins.</summary>
    public int Order { get; }

    /// <summary>ASP.NET Core's inbound precedence of the path pattern: lower (more specific) wins.</summary>
    public decimal Precedence { get; }

    public RelayCluster? Cluster { get; }

    /// <summary>Why a request for this route is handed to Kestrel when <see cref="Cluster"/> is null: <see cref="HandoffReason.Cluster"/>, <see cref="HandoffReason.Redirect"/>, <see cref="HandoffReason.Policy"/> or <see cref="HandoffReason.Tracing"/>.</summary>
    public HandoffReason Handoff { get; }

    /// <summary>
    /// Why a request for this route that came over TLS is handed to Kestrel: <see cref="Handoff"/>, or a reason of its own
    /// when the route does more over TLS than over cleartext (HSTS, a redirect to http or another host); else none.
    /// </summary>
    public HandoffReason TlsHandoff { get; }

    /// <summary>True when <paramref name="path"/> (starting with '/') is within this route's prefix, segment-wise and ignoring case.</summary>
    public bool MatchesPath(ReadOnlySpan<byte> path)
    {
        var prefix = PathPrefix;
        return prefix.Length == 0
            || (path.Length >= prefix.Length
                && Ascii.EqualsIgnoreCase(path[..prefix.Length], prefix)
                && (path.Length == prefix.Length || path[prefix.Length] == '/'));
    }

    /// <summary>
    /// ASP.NET Core's endpoint ranking for the routes the relay takes: route order, then path precedence, then routes
    /// with host names before those without (the host matcher's comparer), then static before discovered
    /// (<see cref="StaticRoutesFirstPolicy"/>). Zero means routing cannot choose between the two.
    /// </summary>
    public static int Compare(RelayRoute x, RelayRoute y)
    {
        var result = x.Order.CompareTo(y.Order);
        if (result == 0)
        {
            result = x.Precedence.CompareTo(y.Precedence);
        }

        if (result == 0)
        {
            result = y.HasHosts.CompareTo(x.HasHosts);
        }

        if (result == 0)
        {
            result = y.IsStatic.CompareTo(x.IsStatic);
        }

        return result;
    }
}
