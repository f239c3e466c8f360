using System.Net;
using Docker.DotNet;
using Ingress.Gateway.Admin;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.ProxyConfig;
using Ingress.Gateway.Reconciliation;
using Ingress.Gateway.Telemetry;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers and maps the gateway: listeners, discovery, YARP and the admin endpoints.</summary>
public static class GatewayHostBuilderExtensions
{
    /// <summary>Adds the gateway's services and binds its listeners. Throws <see cref="GatewayConfigurationException"/> on bad settings.</summary>
    public static WebApplicationBuilder AddIngressGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;

        // Listener ports are needed before the host is built, so these options are bound and validated eagerly.
        var gateway = Bind<GatewayOptions>(configuration, GatewayOptions.SectionName);
        gateway.ApplyDefaults();
        ThrowIfInvalid(new GatewayOptionsValidator().Validate(null, gateway));
        var docker = Bind<DockerDiscoveryOptions>(configuration, DockerDiscoveryOptions.SectionName);
        var dns = Bind<DnsDiscoveryOptions>(configuration, DnsDiscoveryOptions.SectionName);
        ThrowIfInvalid(new DnsDiscoveryOptionsValidator().Validate(null, dns));
        ThrowIfInvalid(ValidateDocker(docker));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var port in gateway.EntryPorts)
            {
                Listen(kestrel, gateway.ListenAddress, port);
            }

            Listen(kestrel, gateway.ListenAddress, gateway.AdminPort);
        });

        var services = builder.Services;
        services.AddSingleton(Options.Create(gateway));
        services.AddSingleton(Options.Create(docker));
        services.AddSingleton(Options.Create(dns));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<SwarmProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<SwarmProxyConfigProvider>());
        services.AddSingleton<DiscoveryReconciler>();
        services.AddSingleton<IDiscoverySink>(sp => sp.GetRequiredService<DiscoveryReconciler>());
        services.AddSingleton<MatcherPolicy, EntryPortMatcherPolicy>();

        if (docker.Enabled)
        {
            services.AddSingleton(new DiscoverySourceRegistration(DockerSwarmSource.SourceName));
            services.AddSingleton<IDockerClient>(_ => DockerClientFactory.Create(docker));
            services.AddHostedService<DockerSwarmSource>();
        }

        if (dns.Enabled)
        {
            services.AddSingleton(new DiscoverySourceRegistration(DnsSwarmSource.SourceName));
            services.AddHostedService<DnsSwarmSource>();
        }

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<DefaultRoundRobinFilter>();

        return builder;
    }

    /// <summary>Maps the admin endpoints (admin port only) and the proxy (entry ports only).</summary>
    public static WebApplication MapIngressGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;

        app.MapAdminEndpoints(options.AdminPort);
        app.MapReverseProxy().ConfigureEndpoints((endpoint, route) =>
        {
            if (route.Metadata?.TryGetValue(RouteTableBuilder.EntryPortMetadataKey, out var value) == true
                && int.TryParse(value, out var port))
            {
                endpoint.WithMetadata(new EntryPortMetadata(port));
            }
        });

        return app;
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }

    private static void ThrowIfInvalid(ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            throw new GatewayConfigurationException(result.Failures ?? []);
        }
    }

    private static ValidateOptionsResult ValidateDocker(DockerDiscoveryOptions options)
    {
        var failures = new List<string>();
        Positive(options.TaskRefreshInterval, nameof(options.TaskRefreshInterval));
        Positive(options.ServiceRefreshInterval, nameof(options.ServiceRefreshInterval));
        Positive(options.RequestTimeout, nameof(options.RequestTimeout));
        Positive(options.MaxRetryDelay, nameof(options.MaxRetryDelay));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{DockerDiscoveryOptions.SectionName}:{name} = {value} must be positive.");
            }
        }
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, string address, int port)
    {
        switch (address)
        {
            case "*":
                kestrel.ListenAnyIP(port);
                break;
            case "localhost":
                kestrel.ListenLocalhost(port);
                break;
            default:
                kestrel.Listen(IPAddress.Parse(address), port);
                break;
        }
    }
}
