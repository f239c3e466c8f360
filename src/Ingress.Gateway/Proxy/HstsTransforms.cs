using Ingress.Gateway.Schema;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// <c>Strict-Transport-Security</c> on the responses of routes with <c>ingress.hsts.*</c> metadata: a YARP response
/// transform, added only to those routes, which sets the header on responses sent over TLS and never over cleartext
/// (RFC 6797 7.2). It also checks every route's redirect and HSTS metadata, so that a static route with bad values fails
/// YARP's validation like any other bad route config.
/// </summary>
/// <remarks>
/// The value is the one ASP.NET Core's HSTS middleware writes (<see cref="HstsPolicy.HeaderValue"/>), built once per
/// route; it replaces a header of the replica's own. Response transforms also run on YARP's own 502 and 504.
/// </remarks>
internal sealed class HstsTransforms : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        context.Route.Redirect(out var redirectErrors);
        context.Route.Hsts(out var hstsErrors);
        foreach (var error in redirectErrors.AddRange(hstsErrors))
        {
            context.Errors.Add(new ArgumentException($"Route '{context.Route.RouteId}': metadata {error}"));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Hsts(out _) is not { } policy)
        {
            return;
        }

        var value = policy.HeaderValue;
        context.AddResponseTransform(transform =>
        {
            AddHeader(transform.HttpContext, value);
            return default;
        });
    }

    /// <summary>Sets <paramref name="value"/> as the response's <c>Strict-Transport-Security</c> if the request came over TLS; the one place that decides it.</summary>
    internal static void AddHeader(HttpContext context, string value)
    {
        if (context.Request.IsHttps)
        {
            context.Response.Headers[HeaderNames.StrictTransportSecurity] = value;
        }
    }
}
