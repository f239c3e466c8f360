using System.Collections.Immutable;
using Ingress.Gateway.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Schema;

/// <summary>
/// The metadata the gateway reads from YARP routes and clusters. Discovery writes it on what it builds; a static
/// <c>ReverseProxy</c> route may set it too (an entry port, or a service name for the metrics).
/// </summary>
internal static class RouteMetadata
{
    /// <summary>Route metadata: the entry port a route is bound to (see <see cref="EntryPortMatcherPolicy"/>).</summary>
    public const string EntryPortKey = "ingress.entryPort";

    /// <summary>Route and cluster metadata: the Swarm service name, for telemetry and the admin state.</summary>
    public const string ServiceKey = "ingress.service";

    /// <summary>Route metadata set by discovery on every route it builds; static routes don't have it.</summary>
    public const string DiscoveredKey = "ingress.discovered";

    /// <summary>
    /// The redirect <paramref name="route"/>'s metadata asks for (the <c>ingress.redirect.*</c> keys, as the labels), or null
    /// when it asks for none or the values are invalid (<paramref name="errors"/>).
    /// </summary>
    public static RedirectRule? Redirect(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Read(route, LabelParser.ParseRedirect, out errors);

    /// <summary>The HSTS policy <paramref name="route"/>'s metadata asks for (the <c>ingress.hsts.*</c> keys, as the labels), or null.</summary>
    public static HstsPolicy? Hsts(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Read(route, LabelParser.ParseHsts, out errors);

    /// <summary>The policies <paramref name="route"/>'s metadata asks for (the policy keys, as the labels: path, headers, compression), or null.</summary>
    public static RoutePolicies? Policies(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Read(route, LabelParser.ParsePolicies, out errors);

    /// <summary>The access policy <paramref name="route"/>'s metadata asks for (the <c>ingress.auth.*</c> keys, as the labels), or null.</summary>
    public static AccessPolicy? Access(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Read(route, AccessLabelParser.Parse, out errors);

    /// <summary>The client policies <paramref name="route"/>'s metadata asks for (allow-list, rate limit, CORS keys, as the labels), or null.</summary>
    public static ClientPolicies? ClientPolicies(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Read(route, ClientPolicyParser.Parse, out errors);

    /// <summary>One of the label parsers, over a route's metadata (the same keys and values as the labels).</summary>
    private delegate T? MetadataParser<T>(IReadOnlyDictionary<string, string> metadata, out ImmutableArray<LabelError> errors)
        where T : class;

    /// <summary>What <paramref name="parse"/> reads from <paramref name="route"/>'s metadata; null, with no error, when it has none.</summary>
    private static T? Read<T>(RouteConfig route, MetadataParser<T> parse, out ImmutableArray<LabelError> errors)
        where T : class
    {
        errors = [];
        return route.Metadata is { } metadata ? parse(metadata, out errors) : null;
    }

    /// <summary>The service a cluster serves: its <see cref="ServiceKey"/> metadata, else the cluster ID.</summary>
    public static string ServiceName(this ClusterConfig cluster) =>
        cluster.Metadata?.TryGetValue(ServiceKey, out var name) == true ? name : cluster.ClusterId;
}
