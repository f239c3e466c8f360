using Ingress.Gateway.Hosting;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Forwarding.Relay;

/// <summary>
/// Rebuilds the relay's route snapshot each time YARP has applied a configuration (static or discovered), so the relay
/// routes exactly what YARP routes, from the moment YARP does.
/// </summary>
/// <remarks>
/// YARP calls this synchronously at the end of each apply, before its new endpoints serve, and the relay's swap is a
/// single reference write. A failure leaves the previous snapshot in force and is logged; it never fails YARP's apply.
/// </remarks>
internal sealed partial class RelayRouteUpdater(
    IServiceProvider services,
    RelayEngine engine,
    RelayClusterFactory clusters,
    IOptions<GatewayOptions> gateway,
    ILogger<RelayRouteUpdater> logger) : IConfigChangeListener
{
    // Resolved late: YARP's state lookup is the config manager, which itself depends on the change listeners.
    private IProxyStateLookup? _state;

    public void ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        try
        {
            _state ??= services.GetRequiredService<IProxyStateLookup>();
            engine.UpdateRoutes(RelayRouteTableBuilder.Build(_state.GetRoutes(), gateway.Value.EntryPorts, clusters.Create));
        }
        catch (Exception ex)
        {
            LogRebuildFailed(ex);
        }
    }

    public void ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
    {
    }

    public void ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    public void ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
    {
    }

    [LoggerMessage(EventId = 430, Level = LogLevel.Error, Message = "The relay's routes could not be rebuilt; the previous ones stay in force.")]
    private partial void LogRebuildFailed(Exception exception);
}
