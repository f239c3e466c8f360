using System.Net;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Listeners;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers the gateway's listeners: the entry ports with their limits, the admin port and the control port.</summary>
internal static class GatewayListenersServiceCollectionExtensions
{
    /// <summary>
    /// Configures Kestrel: the limits of <paramref name="limits"/>, and a listener per entry port (the relay's own, when
    /// <paramref name="relay"/>, which keeps the connection cap itself; otherwise Kestrel's, behind an
    /// <see cref="EntryConnectionLimiter"/>), a Kestrel listener with TLS per TLS entry port of <paramref name="tls"/>, the
    /// admin port, and the <paramref name="controlPort"/> of a manager gateway.
    /// </summary>
    public static IServiceCollection AddGatewayListeners(
        this IServiceCollection services, GatewayOptions gateway, GatewayLimitsOptions limits, TransportOptions transport, TlsOptions tls, bool relay, int? controlPort)
    {
        services.AddOptions<KestrelServerOptions>().Configure<GatewayMetrics, IServiceProvider>((kestrel, metrics, provider) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize;
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodySize;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod);
            foreach (var port in gateway.EntryPorts)
            {
                if (relay)
                {
                    // The relay's own listener; it keeps the connection cap itself and hands Kestrel what it does not relay.
                    kestrel.Listen(new EntryEndPoint(gateway.ListenAddress, port));
                    continue;
                }

                var limiter = new EntryConnectionLimiter(new ConnectionCap(port, limits.MaxConnectionsPerEntryPort, metrics));
                Listen(kestrel, gateway.ListenAddress, port, listen => listen.Use(limiter.Wrap));
            }

            // TLS entry ports: the relay's own listener terminates TLS, and hands Kestrel the plaintext of what it does not
            // relay (HTTP/2 by ALPN among it), with the handshake's outcome. Without the relay, Kestrel's TLS, behind a
            // cap of its own: the cap runs before the handshake, so a flood of handshakes is refused as cheaply as plain
            // connections (closed, with no 503, which a TLS client could not read).
            foreach (var tlsPort in tls.Ports)
            {
                if (relay)
                {
                    // The routes it serves as the YARP path's selector reads them: from the bound options.
                    var routes = provider.GetRequiredService<IOptions<TlsOptions>>().Value.RoutesFor(tlsPort.Port);
                    kestrel.Listen(new EntryEndPoint(gateway.ListenAddress, tlsPort.Port, tls: true, routes), listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
                    continue;
                }

                var handshake = provider.GetRequiredService<TlsHandshake>();
                var limiter = new EntryConnectionLimiter(new ConnectionCap(tlsPort.Port, limits.MaxConnectionsPerEntryPort, metrics), plainRefusal: false);
                Listen(kestrel, gateway.ListenAddress, tlsPort.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.Use(limiter.Wrap);
                    listen.UseHttps(handshake.Options);
                });
            }

            Listen(kestrel, gateway.ListenAddress, gateway.AdminPort, _ => { });
            if (controlPort is { } control)
            {
                Listen(kestrel, gateway.ListenAddress, control, _ => { });
            }
        });

        services.Configure<SocketTransportOptions>(sockets => sockets.UnsafePreferInlineScheduling = transport.InlineScheduling);
        return services;
    }

    private static void Listen(KestrelServerOptions kestrel, string address, int port, Action<ListenOptions> configure)
    {
        switch (address)
        {
            case "*":
                kestrel.ListenAnyIP(port, configure);
                break;
            case "localhost":
                kestrel.ListenLocalhost(port, configure);
                break;
            default:
                kestrel.Listen(IPAddress.Parse(address), port, configure);
                break;
        }
    }
}
