using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// The path and header policies of routes with policy metadata (<c>ingress.path.strip</c>, <c>ingress.path.add</c>,
/// <c>ingress.request.headers.*</c>, <c>ingress.response.headers.*</c>), as YARP's own transforms, added only to those
/// routes. It also checks every route's policy metadata, so that a static route with bad values fails YARP's validation.
/// </summary>
/// <remarks>
/// The strip is <c>PathRemovePrefix</c>, with <c>X-Forwarded-Prefix</c> set to the stripped prefix as Traefik's
/// <c>stripPrefix</c> sets it. YARP adds its default <c>X-Forwarded-*</c> transforms after every provider's, and its
/// <c>X-Forwarded-Prefix</c> one writes the request's (empty) path base, removing any other value; so such a route adds the
/// same defaults itself first (which tells YARP they are there), then the prefix. Order on the way: strip, then add;
/// headers: remove, then set, then add. Response headers apply to every response, YARP's own 502 and 504 included.
/// </remarks>
internal sealed class PolicyTransforms : ITransformProvider
{
    /// <summary>The header Traefik's stripPrefix sets to the prefix it removed.</summary>
    internal const string ForwardedPrefixHeader = "X-Forwarded-Prefix";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
        context.Route.Policies(out var errors);
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
        if (context.Route.Policies(out _) is not { } policies)
        {
            return;
        }

        if (policies.StripPrefix is { } strip)
        {
            context.AddXForwarded();
            context.AddPathRemovePrefix(strip);
            context.AddRequestHeader(ForwardedPrefixHeader, strip, append: false);
        }

        if (policies.AddPrefix is { } add)
        {
            context.AddPathPrefix(add);
        }

        foreach (var name in policies.Request.Remove)
        {
            context.AddRequestHeaderRemove(name);
        }

        foreach (var (name, value) in policies.Request.Set)
        {
            context.AddRequestHeader(name, value, append: false);
        }

        foreach (var (name, value) in policies.Request.Add)
        {
            context.AddRequestHeader(name, value, append: true);
        }

        foreach (var name in policies.Response.Remove)
        {
            context.AddResponseHeaderRemove(name, ResponseCondition.Always);
        }

        foreach (var (name, value) in policies.Response.Set)
        {
            context.AddResponseHeader(name, value, append: false, ResponseCondition.Always);
        }

        foreach (var (name, value) in policies.Response.Add)
        {
            context.AddResponseHeader(name, value, append: true, ResponseCondition.Always);
        }
    }
}
