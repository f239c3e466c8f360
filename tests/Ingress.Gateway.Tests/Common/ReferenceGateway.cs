using Ingress.Gateway.Routing;
using Ingress.Gateway.Routing.Snapshot;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// The gateway as plain Kestrel, ASP.NET Core routing and YARP: no relay, and no endpoint selector in front of the
/// matcher. What the relay and the selector are compared with.
/// </summary>
internal static class ReferenceGateway
{
    public static Task<GatewayTestHost> StartAsync(IDictionary<string, string?> settings) =>
        GatewayTestHost.StartAsync(
            new Dictionary<string, string?>(settings) { ["Ingress:Transport:Relay"] = "false" },
            configure: builder => builder.Services.AddSingleton(sp => new ProxyEndpointSelector(sp.GetRequiredService<RelayRoutes>(), enabled: false)));
}
