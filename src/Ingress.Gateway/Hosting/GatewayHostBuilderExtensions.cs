using Ingress.Gateway.Admin;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers and maps the gateway: listeners, discovery, YARP and the admin endpoints.</summary>
public static class GatewayHostBuilderExtensions
{
    /// <summary>Adds the gateway's services and binds its listeners. Throws <see cref="GatewayConfigurationException"/> on bad settings.</summary>
    public static WebApplicationBuilder AddIngressGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var services = builder.Services;

        // Listener ports are needed before the host is built, and what is registered depends on what is enabled, so
        // every section is bound and validated first; one exception names every bad setting.
        var settings = GatewaySettings.Load(services, configuration);

        // In this order: hosted services start as registered, and discovery sources are listed (on /readyz) as registered.
        services.TryAddSingleton(TimeProvider.System);
        services.AddGatewayListeners(settings.Gateway, settings.Limits, settings.Transport, settings.Tls, settings.Relay, settings.ControlPort);
        services.AddTlsEntryPorts(settings.Tls);
        services.AddAcmeIssuance(settings.Acme, settings.Control.Enabled, settings.Docker.Enabled ? settings.DockerClient : null);
        services.AddGatewayTelemetry(configuration, settings.Telemetry);
        services.AddGatewayTracing(settings.Tracing, settings.Gateway.AdminPort);
        services.AddAdminEndpoints();
        services.AddDiscoverySink(settings.Control, readsSwarm: settings.Docker.Enabled);
        services.AddDockerDiscovery(settings.Docker, settings.DockerClient);
        services.AddDnsDiscovery(settings.Dns);
        services.AddSwarmProxyConfig();
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<ClusterDefaultsFilter>()
            .AddConfigValidationCache()
            .AddLazyDataProtection()
            .AddResilience()
            .AddHttpConformance()
            .AddRedirectsAndHsts()
            .AddRoutePolicies()
            .AddAccessPolicies()
            .AddWeightedCanaries()
            .AddClientPolicies()
            .AddRelay(settings.Relay);
        services.AddStartupMemoryRelease(settings.Memory);
        return builder;
    }

    /// <summary>Maps the admin endpoints (admin port only) and the proxy (every other port: the entry ports).</summary>
    public static WebApplication MapIngressGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;

        // Each port's branch has a route builder of its own (PortBranches). The control port's, on a manager gateway,
        // comes before the entry ports', which take every port but the admin port.
        app.MapAdminPort(options);
        app.MapControlChannel();
        app.MapEntryPorts(options.AdminPort);
        return app;
    }
}
