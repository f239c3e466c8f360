using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// Puts a route's client policies (<c>ingress.ipallowlist</c>, <c>ingress.ratelimit.*</c>, <c>ingress.cors.*</c>, read from
/// its metadata) on its endpoint, when YARP builds it, where the proxy pipeline's branches look for them.
/// </summary>
internal static class ClientPolicyEndpoints
{
    /// <summary>Adds <see cref="RouteAllowList"/>, <see cref="RouteRateLimit"/> and the CORS policy as <paramref name="route"/> asks.</summary>
    public static void Add(IEndpointConventionBuilder endpoint, RouteConfig route)
    {
        if (route.ClientPolicies(out _) is not { } policies)
        {
            return;
        }

        if (policies.AllowList is { } allowList)
        {
            endpoint.WithMetadata(new RouteAllowList(allowList));
        }

        if (policies.RateLimit is { } rateLimit)
        {
            endpoint.WithMetadata(new RouteRateLimit(route.RouteId, rateLimit));
        }

        if (policies.Cors is { } cors)
        {
            endpoint.WithMetadata(RouteCors.Metadata(cors));
        }
    }
}

/// <summary>
/// Checks every route's client-policy metadata when YARP validates its config (the transform providers' hook), so that a
/// static <c>ReverseProxy</c> route with bad values stops the gateway at start-up with the key and the reason. It adds no transform.
/// </summary>
internal sealed class ClientPolicyValidation : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        context.Route.ClientPolicies(out var errors);
        foreach (var error in errors)
        {
            context.Errors.Add(new ArgumentException($"Route '{context.Route.RouteId}': metadata {error}"));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
    }
}
