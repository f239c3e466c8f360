using Ingress.Gateway.Resilience;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// YARP's client factory with a short connect timeout, so a vanished task fails fast and can be retried; with
/// connections the <see cref="SilentReplicaWatch"/> watches, so a replica that went silent on an open connection fails
/// as fast; and without trace-header injection: the gateway records no traces, so a client's <c>traceparent</c> passes
/// through unchanged.
/// </summary>
internal sealed class IngressForwarderHttpClientFactory(IOptions<ResilienceOptions> options, SilentReplicaWatch watch, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    private readonly TimeSpan _connectTimeout = options.Value.ConnectTimeout;

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = _connectTimeout;
        if (OperatingSystem.IsLinux())
        {
            // TCP_INFO's layout is Linux's; elsewhere connections are made as SocketsHttpHandler makes them, unwatched.
            handler.ConnectCallback = watch.ConnectAsync;
        }

        handler.ActivityHeadersPropagator = null;
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        OperatingSystem.IsLinux() ? watch.MarkRequests(base.WrapHandler(context, handler)) : base.WrapHandler(context, handler);
}
