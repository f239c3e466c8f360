namespace Ingress.Gateway.Proxy;

/// <summary>
/// The step of the proxy pipeline that answers a route's redirect (<see cref="RouteRedirect"/>, on its endpoint) before
/// anything picks a replica: a redirect needs no healthy replica, spends no retry budget and counts for no replica.
/// </summary>
/// <remarks>
/// Not a YARP request transform, which could answer too (YARP 2.3's forwarder skips the request when a transform set a
/// status other than 200), but only after load balancing had picked a replica: with none healthy the answer would be a 503.
/// A route without a redirect costs one metadata lookup on its endpoint.
/// </remarks>
internal sealed class RedirectMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteRedirect>() is { } redirect && redirect.TryAnswer(context))
        {
            return Task.CompletedTask;
        }

        return next(context);
    }
}
