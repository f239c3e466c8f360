using Ingress.Gateway.Resilience;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// YARP's client factory with a short connect timeout, so a vanished task fails fast and can be retried; with
/// connections the <see cref="SilentReplicaWatch"/> watches, so a replica that went silent on an open connection fails
/// as fast; and, unless tracing is on, without trace-header injection: a gateway that records no traces passes a client's
/// <c>traceparent</c> through unchanged, and its HttpClient has no DiagnosticsHandler. With tracing on, YARP's
/// propagator replaces the client's trace headers with the attempt span's.
/// </summary>
internal sealed class IngressForwarderHttpClientFactory(
    IOptions<ResilienceOptions> options, IOptions<TracingOptions> tracing, SilentReplicaWatch watch, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    private readonly TimeSpan _connectTimeout = options.Value.ConnectTimeout;
    private readonly bool _tracing = tracing.Value.Enabled;

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = _connectTimeout;
        if (OperatingSystem.IsLinux())
        {
            // TCP_INFO's layout is Linux's; elsewhere connections are made as SocketsHttpHandler makes them, unwatched.
            handler.ConnectCallback = watch.ConnectAsync;
        }

        if (!_tracing)
        {
            // No propagator, no DiagnosticsHandler in the chain: HttpClient neither creates Activities nor writes headers.
            handler.ActivityHeadersPropagator = null;
        }
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        OperatingSystem.IsLinux() ? watch.MarkRequests(base.WrapHandler(context, handler)) : base.WrapHandler(context, handler);
}
