using System.Net;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Listeners;
using Ingress.Gateway.Telemetry;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers the gateway's listeners: the entry ports with their limits, the admin port and the control port.</summary>
internal static class GatewayListenersServiceCollectionExtensions
{
    /// <summary>
    /// Configures Kestrel: the limits of <paramref name="limits"/>, and a listener per entry port (the relay's own, when
    /// <paramref name="relay"/>, which keeps the connection cap itself; otherwise Kestrel's, behind an
    /// <see cref="EntryConnectionLimiter"/>), the admin port, and the <paramref name="controlPort"/> of a manager gateway.
    /// </summary>
    public static IServiceCollection AddGatewayListeners(
        this IServiceCollection services, GatewayOptions gateway, GatewayLimitsOptions limits, TransportOptions transport, bool relay, int? controlPort)
    {
        services.AddOptions<KestrelServerOptions>().Configure<GatewayMetrics>((kestrel, metrics) =>
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
