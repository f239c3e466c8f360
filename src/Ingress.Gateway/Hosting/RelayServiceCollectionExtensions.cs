using System.Runtime.InteropServices;
using Ingress.Gateway.Listeners;
using Ingress.Gateway.Relay;
using Ingress.Gateway.Routing.Snapshot;
using Microsoft.AspNetCore.Connections;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers the route snapshot and, where it runs, the relay (<c>Ingress:Transport:Relay</c>).</summary>
internal static class RelayServiceCollectionExtensions
{
    /// <summary>The relay drives epoll directly: Linux on x64 or arm64 (the layouts it knows).</summary>
    public static bool RelaySupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Adds the route snapshot, rebuilt after each YARP apply: what the relay forwards by, and what picks YARP's endpoint
    /// for whatever Kestrel serves, so it is there with the relay off too. With <paramref name="relay"/>, also the relay's
    /// event loops and the transport that binds the entry ports to them.
    /// </summary>
    public static IReverseProxyBuilder AddRelay(this IReverseProxyBuilder builder, bool relay)
    {
        var services = builder.Services;
        services.AddSingleton<RelayRoutes>();
        services.AddSingleton<RelayClusterFactory>();
        services.AddSingleton<IConfigChangeListener, RelayRouteUpdater>();
        if (relay)
        {
            services.AddSingleton<RelayEngine>();
            services.AddSingleton<IConnectionListenerFactory, EntryListenerFactory>();
        }

        return builder;
    }
}
