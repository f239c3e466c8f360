using System.Collections.Immutable;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Routing;

/// <summary>The YARP routes and clusters built from one set of discovered services, plus what became of each service.</summary>
/// <param name="Routes">Routes, ordered by ID.</param>
/// <param name="Clusters">Clusters, ordered by ID.</param>
/// <param name="Services">Every labelled service, routed or not, ordered by name.</param>
public sealed record RouteTable(
    ImmutableArray<RouteConfig> Routes,
    ImmutableArray<ClusterConfig> Clusters,
    ImmutableArray<ServiceRouteState> Services)
{
    /// <summary>An empty table: nothing discovered yet.</summary>
    public static RouteTable Empty { get; } = new([], [], []);

    /// <summary>The services that were skipped because of invalid labels or clashes.</summary>
    public IEnumerable<ServiceRouteState> Invalid => Services.Where(s => s.Status == ServiceRouteStatus.Invalid);

    /// <summary>True when the YARP-facing part (routes and clusters) is the same; YARP needs no reload then.</summary>
    public bool HasSameProxyConfig(RouteTable other) =>
        Routes.SequenceEqual(other.Routes, SameConfig<RouteConfig>.Instance)
        && Clusters.SequenceEqual(other.Clusters, SameConfig<ClusterConfig>.Instance);

    /// <summary>YARP's config records compare deeply; an unchanged service's configs are the same instances (<see cref="ServicePlans"/>).</summary>
    private sealed class SameConfig<T> : IEqualityComparer<T>
        where T : class, IEquatable<T>
    {
        public static readonly SameConfig<T> Instance = new();

        public bool Equals(T? x, T? y) => ReferenceEquals(x, y) || (x is not null && x.Equals(y));

        public int GetHashCode(T obj) => obj.GetHashCode();
    }
}

/// <summary>Whether a labelled service is routed.</summary>
public enum ServiceRouteStatus
{
    /// <summary>Routes and a cluster were built for it.</summary>
    Routed,

    /// <summary><c>ingress.enable=false</c>.</summary>
    Disabled,

    /// <summary>Skipped: a label is invalid or its route clashes with an older service.</summary>
    Invalid,
}

/// <summary>What the route table builder decided for one service, for logs, metrics and <c>/api/state</c>.</summary>
/// <param name="Service">The discovered service.</param>
/// <param name="Status">Routed, disabled or invalid.</param>
/// <param name="Errors">Why it is invalid; empty otherwise.</param>
/// <param name="Entries">Human-readable descriptions of its routes, e.g. <c>:8888/* -> :8888</c>.</param>
/// <param name="LoadBalancingPolicy">The policy of its clusters, when routed.</param>
public sealed record ServiceRouteState(
    SwarmService Service,
    ServiceRouteStatus Status,
    ImmutableArray<LabelError> Errors,
    ImmutableArray<string> Entries,
    string? LoadBalancingPolicy)
{
    /// <summary>The host names to get a certificate for by ACME (<c>ingress.tls.acme</c>), sorted; empty when not asked or not routed.</summary>
    public ImmutableArray<string> AcmeNames { get; init; } = [];
}
