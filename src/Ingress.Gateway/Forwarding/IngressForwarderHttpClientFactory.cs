using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Forwarding;

/// <summary>
/// YARP's client factory with a short connect timeout, so a vanished task fails fast and can be retried, and without
/// trace-header injection: the gateway records no traces, so a client's <c>traceparent</c> passes through unchanged.
/// </summary>
internal sealed class IngressForwarderHttpClientFactory(IOptions<ResilienceOptions> options, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    private readonly TimeSpan _connectTimeout = options.Value.ConnectTimeout;

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = _connectTimeout;
        handler.ActivityHeadersPropagator = null;
    }
}
