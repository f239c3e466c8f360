using Ingress.Gateway.Proxy;
using Ingress.Gateway.Resilience;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers what hides replica failures from clients (<c>Ingress:Resilience</c>), for YARP and the relay alike.</summary>
internal static class ResilienceServiceCollectionExtensions
{
    /// <summary>
    /// Adds the retry budgets, passive health (ejection on a refused, reset or silent connection) and active recovery,
    /// the silent-replica watch, and the forwarder's HTTP client with the gateway's connect timeout. After YARP's own
    /// registrations, so its default client factory is replaced.
    /// </summary>
    public static IReverseProxyBuilder AddResilience(this IReverseProxyBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<RetryBudgets>();
        services.AddSingleton<SilentReplicaWatch>();
        services.AddSingleton<IForwarderHttpClientFactory, IngressForwarderHttpClientFactory>();
        services.AddSingleton<GatewayShortageLog>();
        services.AddSingleton<ReplicaEjection>();
        services.AddSingleton<IPassiveHealthCheckPolicy, TransportFailurePolicy>();
        services.AddSingleton<IActiveHealthCheckPolicy, ProbeRecoveryPolicy>();
        return builder;
    }
}
