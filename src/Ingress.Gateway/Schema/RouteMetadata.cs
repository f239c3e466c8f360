using System.Collections.Immutable;
using System.Runtime.CompilerServices;
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

    private static readonly ConditionalWeakTable<RouteConfig, Parsed> s_parsed = new();

    /// <summary>
    /// The redirect <paramref name="route"/>'s metadata asks for (the <c>ingress.redirect.*</c> keys, as the labels), or null
    /// when it asks for none or the values are invalid (<paramref name="errors"/>).
    /// </summary>
    public static RedirectRule? Redirect(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Of(route).Redirect.Get(out errors);

    /// <summary>The HSTS policy <paramref name="route"/>'s metadata asks for (the <c>ingress.hsts.*</c> keys, as the labels), or null.</summary>
    public static HstsPolicy? Hsts(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Of(route).Hsts.Get(out errors);

    /// <summary>The policies <paramref name="route"/>'s metadata asks for (the policy keys, as the labels: path, headers, compression), or null.</summary>
    public static RoutePolicies? Policies(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Of(route).Policies.Get(out errors);

    /// <summary>The access policy <paramref name="route"/>'s metadata asks for (the <c>ingress.auth.*</c> keys, as the labels), or null.</summary>
    public static AccessPolicy? Access(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Of(route).Access.Get(out errors);

    /// <summary>The client policies <paramref name="route"/>'s metadata asks for (allow-list, rate limit, CORS keys, as the labels), or null.</summary>
    public static ClientPolicies? ClientPolicies(this RouteConfig route, out ImmutableArray<LabelError> errors) =>
        Of(route).ClientPolicies.Get(out errors);

    /// <summary>
    /// Everything <paramref name="route"/>'s metadata asks for, parsed at its first reader and kept for as long as the
    /// route (an immutable config object) lives: the relay's snapshot, YARP's validation, the transforms, the endpoints
    /// and the admin state all read the same route.
    /// </summary>
    private static Parsed Of(RouteConfig route) => s_parsed.GetValue(route, static route => new Parsed(route.Metadata));

    /// <summary>One of the label parsers, over a route's metadata (the same keys and values as the labels).</summary>
    private delegate T? MetadataParser<T>(IReadOnlyDictionary<string, string> metadata, out ImmutableArray<LabelError> errors)
        where T : class;

    /// <summary>What a parser read from a route's metadata; null, with no error, when the route has no metadata.</summary>
    private readonly record struct Result<T>(T? Value, ImmutableArray<LabelError> Errors)
        where T : class
    {
        public static Result<T> Of(IReadOnlyDictionary<string, string>? metadata, MetadataParser<T> parse)
        {
            if (metadata is null)
            {
                return new(null, []);
            }

            var value = parse(metadata, out var errors);
            return new(value, errors);
        }

        public T? Get(out ImmutableArray<LabelError> errors)
        {
            errors = Errors;
            return Value;
        }
    }

    private sealed class Parsed(IReadOnlyDictionary<string, string>? metadata)
    {
        public Result<RedirectRule> Redirect { get; } = Result<RedirectRule>.Of(metadata, LabelParser.ParseRedirect);

        public Result<HstsPolicy> Hsts { get; } = Result<HstsPolicy>.Of(metadata, LabelParser.ParseHsts);

        public Result<RoutePolicies> Policies { get; } = Result<RoutePolicies>.Of(metadata, LabelParser.ParsePolicies);

        public Result<AccessPolicy> Access { get; } = Result<AccessPolicy>.Of(metadata, AccessLabelParser.Parse);

        public Result<ClientPolicies> ClientPolicies { get; } = Result<ClientPolicies>.Of(metadata, ClientPolicyParser.Parse);
    }

    /// <summary>The service a cluster serves: its <see cref="ServiceKey"/> metadata, else the cluster ID.</summary>
    public static string ServiceName(this ClusterConfig cluster) =>
        cluster.Metadata?.TryGetValue(ServiceKey, out var name) == true ? name : cluster.ClusterId;
}
