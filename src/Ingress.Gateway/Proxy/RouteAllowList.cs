using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// <c>ingress.ipallowlist</c> on a route's endpoint: the addresses allowed. The first client policy of the proxy pipeline
/// (<see cref="Middleware"/>): a client outside every range gets <c>403</c>, before the rate limit counts it and before any
/// replica is picked. ASP.NET Core has no allow-list middleware; <see cref="System.Net.IPNetwork.Contains"/> does the matching.
/// </summary>
internal sealed class RouteAllowList(IpAllowList list)
{
    public IpAllowList List { get; } = list;

    /// <summary>True when the request's route has an allow-list.</summary>
    public static bool Applies(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<RouteAllowList>() is not null;

    /// <summary>The pipeline step: forwards allowed clients, answers <c>403</c> to the others and counts them.</summary>
    internal sealed class Middleware(RequestDelegate next, ClientPolicyRejections rejections)
    {
        public Task InvokeAsync(HttpContext context)
        {
            var route = context.GetEndpoint()!.Metadata.GetRequiredMetadata<RouteAllowList>();
            if (route.List.Allows(ClientAddress.Of(context)))
            {
                return next(context);
            }

            rejections.Count(context, ClientPolicyRejections.AllowList);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }
    }
}
