using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Docker.DotNet;
using Ingress.Gateway.Admin;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Forwarding;
using Ingress.Gateway.ProxyConfig;
using Ingress.Gateway.Reconciliation;
using Ingress.Gateway.Forwarding.Relay;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers and maps the gateway: listeners, discovery, YARP and the admin endpoints.</summary>
public static class GatewayHostBuilderExtensions
{
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// The property through which a WebApplication's branches share its route builder (ASP.NET Core's
    /// <c>EndpointRoutingApplicationBuilderExtensions</c>); removed in a branch, <c>UseRouting</c> gives it its own.
    /// </summary>
    private const string GlobalEndpointRouteBuilderKey = "__GlobalEndpointRouteBuilder";

    /// <summary>Adds the gateway's services and binds its listeners. Throws <see cref="GatewayConfigurationException"/> on bad settings.</summary>
    public static WebApplicationBuilder AddIngressGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;

        // Listener ports are needed before the host is built, so these options are bound and validated eagerly.
        // Every section is checked before failing, so one message lists every bad setting.
        var failures = new List<string>();
        var gateway = Bind<GatewayOptions>(configuration, GatewayOptions.SectionName);
        gateway.ApplyDefaults();
        Collect(failures, new GatewayOptionsValidator().Validate(null, gateway));
        var docker = Bind<DockerDiscoveryOptions>(configuration, DockerDiscoveryOptions.SectionName);
        var dns = Bind<DnsDiscoveryOptions>(configuration, DnsDiscoveryOptions.SectionName);
        Collect(failures, new DnsDiscoveryOptionsValidator().Validate(null, dns));
        Collect(failures, ValidateDocker(docker));
        var control = Bind<ControlOptions>(configuration, ControlOptions.SectionName);
        Collect(failures, new ControlOptionsValidator([.. gateway.EntryPorts, gateway.AdminPort]).Validate(null, control));
        var resilience = Bind<ResilienceOptions>(configuration, ResilienceOptions.SectionName);
        var limits = Bind<GatewayLimitsOptions>(configuration, GatewayLimitsOptions.SectionName);
        var telemetry = Bind<TelemetryOptions>(configuration, TelemetryOptions.SectionName);
        var transport = Bind<TransportOptions>(configuration, TransportOptions.SectionName);
        Collect(failures, ValidateResilienceAndLimits(resilience, limits));
        if (transport.EventLoops is { } loops && loops is < 1 or > 64)
        {
            failures.Add($"{TransportOptions.SectionName}:{nameof(transport.EventLoops)} = {loops} must be 1-64 (or empty for one per processor).");
        }
        IDockerClient? dockerClient = null;
        if (docker.Enabled)
        {
            try
            {
                dockerClient = DockerClientFactory.Create(docker);
            }
            catch (GatewayConfigurationException ex)
            {
                failures.AddRange(ex.Failures);
            }
        }

        if (failures.Count > 0)
        {
            throw new GatewayConfigurationException(failures);
        }

        var metrics = new GatewayMetrics();
        var relay = transport.Relay && RelaySupported;

        // The control channel: a gateway that reads the swarm serves it on its own port; any other follows (validated above).
        var controlToken = control.Enabled ? ControlToken.TryLoad(control.TokenFile, out _) : null;
        var controlNetwork = control.Enabled && docker.Enabled ? new ControlNetwork() : null;

        // ASP.NET Core starts an Activity for every request whenever this category logs at any level, whether or not
        // anything records traces; the gateway records none, so it is off unless configured (it logs start-up errors
        // too, which GatewayApplication prints itself).
        if (configuration[$"Logging:LogLevel:{HostingDiagnosticsCategory}"] is null)
        {
            builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.None);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
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

                var limiter = new EntryConnectionLimiter(port, limits.MaxConnectionsPerEntryPort, metrics);
                Listen(kestrel, gateway.ListenAddress, port, listen => listen.Use(limiter.Wrap));
            }

            Listen(kestrel, gateway.ListenAddress, gateway.AdminPort, _ => { });
            if (controlNetwork is not null)
            {
                Listen(kestrel, gateway.ListenAddress, control.Port, _ => { });
            }
        });

        var services = builder.Services;
        services.Configure<SocketTransportOptions>(sockets => sockets.UnsafePreferInlineScheduling = transport.InlineScheduling);
        services.AddSingleton(Options.Create(gateway));
        services.AddSingleton(Options.Create(docker));
        services.AddSingleton(Options.Create(dns));
        services.AddSingleton(Options.Create(resilience));
        services.AddSingleton(Options.Create(limits));
        services.AddSingleton(Options.Create(telemetry));
        services.AddSingleton(Options.Create(transport));
        services.AddSingleton<ReplicaStats>();
        services.AddSingleton<BackendNetworkGuard>();
        services.AddSingleton<AccessLogWriter>();
        services.AddSingleton<RequestRecorder>();
        services.AddSingleton<RetryBudgets>();
        if (telemetry.AccessLog)
        {
            services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        }

        services.AddHostedService<ScrapeTimeCollector>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(metrics);
        services.AddSingleton<SwarmProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<SwarmProxyConfigProvider>());
        services.AddDiscoverySink(control, controlToken, controlNetwork);
        services.AddSingleton<MatcherPolicy, EntryPortMatcherPolicy>();
        services.AddSingleton<MatcherPolicy, StaticRoutesFirstPolicy>();
        // YARP's session-affinity cookies are the only user of data protection; the gateway keeps no keys on disk.
        services.AddSingleton<IDataProtectionProvider, LazyDataProtectionProvider>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            // Source-generated metadata only: a trimmed publish has no reflection-based resolver, and leaving the
            // reflection one in untrimmed builds would let a type missing from the context pass the tests.
            json.SerializerOptions.TypeInfoResolverChain.Clear();
            json.SerializerOptions.TypeInfoResolverChain.Add(AdminJsonContext.Default);
        });

        if (docker.Enabled)
        {
            services.AddSingleton(new DiscoverySourceRegistration(DockerSwarmSource.SourceName));
            // A factory registration, so the container disposes the client.
            services.AddSingleton<IDockerClient>(_ => dockerClient!);
            services.AddHostedService<DockerSwarmSource>();
        }

        if (dns.Enabled)
        {
            services.AddSingleton(new DiscoverySourceRegistration(DnsSwarmSource.SourceName));
            services.AddHostedService<DnsSwarmSource>();
        }

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<ClusterDefaultsFilter>();
        DecorateConfigValidator(services);
        services.AddSingleton<SilentReplicaWatch>();
        services.AddSingleton<IForwarderHttpClientFactory, IngressForwarderHttpClientFactory>();
        services.AddHttpConformance();
        RemoveDataProtectionWarmUp(services);
        services.AddSingleton<GatewayShortageLog>();
        services.AddSingleton<ReplicaEjection>();
        services.AddSingleton<IPassiveHealthCheckPolicy, TransportFailurePolicy>();
        services.AddSingleton<IActiveHealthCheckPolicy, ProbeRecoveryPolicy>();
        // The route snapshot: what the relay forwards by, and what picks YARP's endpoint for whatever Kestrel serves.
        services.AddSingleton<RelayRoutes>();
        services.AddSingleton<RelayClusterFactory>();
        services.AddSingleton<IConfigChangeListener, RelayRouteUpdater>();
        services.AddSingleton(sp => new ProxyEndpointSelector(sp.GetRequiredService<RelayRoutes>()));
        if (relay)
        {
            services.AddSingleton<RelayEngine>();
            services.AddSingleton<IConnectionListenerFactory, EntryListenerFactory>();
        }

        return builder;
    }

    /// <summary>The relay drives epoll directly: Linux on x64 or arm64 (the layouts it knows).</summary>
    internal static bool RelaySupported =>
        OperatingSystem.IsLinux()
        && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64;

    /// <summary>Maps the admin endpoints (admin port only) and the proxy (every other port: the entry ports).</summary>
    public static WebApplication MapIngressGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;

        // The admin port and the entry ports each have a pipeline branch and a route builder of their own, so each has its
        // own route matcher. YARP's routes (a thousand with a large swarm) stay out of the admin endpoints' matcher,
        // which ASP.NET Core would otherwise rebuild, routes and all, on every discovery change once /metrics had been
        // scraped; and the admin endpoints' method rules can never answer an entry-port request with 405.
        app.MapWhen(context => context.Connection.LocalPort == options.AdminPort, admin =>
        {
            admin.Properties.Remove(GlobalEndpointRouteBuilderKey);
            if (!options.AdminOnBackendNetworks)
            {
                admin.Use(admin.ApplicationServices.GetRequiredService<BackendNetworkGuard>().Middleware);
            }

            admin.UseRouting();
            admin.UseEndpoints(endpoints => endpoints.MapAdminEndpoints(options.AdminPort));
        });
        app.MapControlChannel();

        // On entry ports, the route snapshot picks YARP's endpoint first, so YARP's own matcher is rarely built either.
        var selector = app.Services.GetRequiredService<ProxyEndpointSelector>();
        app.MapWhen(context => context.Connection.LocalPort != options.AdminPort, entry =>
        {
            entry.Properties.Remove(GlobalEndpointRouteBuilderKey);
            entry.Use(selector.Wrap);
            entry.UseRouting();
            entry.UseEndpoints(endpoints =>
            {
                var before = endpoints.DataSources.Count;
                endpoints.MapReverseProxy(proxy =>
                {
                    proxy.UseMiddleware<RequestTelemetryMiddleware>();
                    proxy.UseMiddleware<RetryMiddleware>();
                    proxy.UseSessionAffinity();
                    proxy.UseLoadBalancing();
                    proxy.UsePassiveHealthChecks();
                }).ConfigureEndpoints((endpoint, route) =>
                {
                    if (route.Metadata?.TryGetValue(RouteMetadata.EntryPortKey, out var value) == true
                        && int.TryParse(value, out var port))
                    {
                        endpoint.WithMetadata(new EntryPortMetadata(port));
                    }

                    if (route.Metadata?.ContainsKey(RouteMetadata.DiscoveredKey) == true)
                    {
                        endpoint.WithMetadata(DiscoveredRouteMetadata.Instance);
                    }
                });
                selector.Attach(endpoints.DataSources.Skip(before).Single());
            });
        });

        return app;
    }

    /// <summary>Puts <see cref="CachingConfigValidator"/> in front of YARP's config validator.</summary>
    private static void DecorateConfigValidator(IServiceCollection services)
    {
        var index = services.Count - 1;
        while (index >= 0 && services[index].ServiceType != typeof(IConfigValidator))
        {
            index--;
        }

        if (index < 0 || services[index].ImplementationType is not { } validator)
        {
            throw new InvalidOperationException($"YARP's {nameof(IConfigValidator)} is no longer registered by type; {nameof(CachingConfigValidator)} cannot wrap it.");
        }

        services[index] = ServiceDescriptor.Singleton<IConfigValidator>(sp =>
            new CachingConfigValidator((IConfigValidator)ActivatorUtilities.CreateInstance(sp, validator)));
    }

    /// <summary>
    /// YARP's <c>AddDataProtection</c> also registers a hosted service that, at start-up, loads the default key ring
    /// from <c>~/.aspnet/DataProtection-Keys</c> (creating and writing a key there the first time), which loads the XML
    /// and cryptography stacks. The gateway's provider is ephemeral and lazy (<see cref="LazyDataProtectionProvider"/>),
    /// so that key ring is never used: without the service, no key file is written and start-up is lighter.
    /// </summary>
    private static void RemoveDataProtectionWarmUp(IServiceCollection services)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService)
                && services[i].ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService")
            {
                services.RemoveAt(i);
            }
        }
    }

    // The reflection binder reads T's properties at run time, which the trim analysis cannot follow. T is always one of
    // this assembly's options types, and the published build trims only assemblies marked trimmable (TrimMode=partial
    // in the project file), which this one is not, so those properties and the option types under them stay whole.
    // The values convert through the framework's built-in converters (numbers, bool, string, TimeSpan) and List<T>,
    // which the trimmer keeps: the trimmed publish binds, and rejects bad values, as before.
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "Binds only this assembly's options types; the assembly is not trimmed (TrimMode=partial).")]
    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }

    private static void Collect(List<string> failures, ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            failures.AddRange(result.Failures ?? []);
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

    private static ValidateOptionsResult ValidateResilienceAndLimits(ResilienceOptions resilience, GatewayLimitsOptions limits)
    {
        var failures = new List<string>();
        Check(resilience.MaxAttempts is >= 1 and <= 10, ResilienceOptions.SectionName, nameof(resilience.MaxAttempts), resilience.MaxAttempts, "must be 1-10");
        Check(resilience.RetryBudgetRatio is >= 0 and <= 1, ResilienceOptions.SectionName, nameof(resilience.RetryBudgetRatio), resilience.RetryBudgetRatio, "must be 0-1");
        Check(resilience.RetryBudgetReserve >= 0, ResilienceOptions.SectionName, nameof(resilience.RetryBudgetReserve), resilience.RetryBudgetReserve, "must not be negative");
        Check(resilience.ReactivationPeriod > TimeSpan.Zero, ResilienceOptions.SectionName, nameof(resilience.ReactivationPeriod), resilience.ReactivationPeriod, "must be positive");
        Check(resilience.ConnectTimeout > TimeSpan.Zero, ResilienceOptions.SectionName, nameof(resilience.ConnectTimeout), resilience.ConnectTimeout, "must be positive");
        Check(resilience.UnacknowledgedTimeout > TimeSpan.Zero, ResilienceOptions.SectionName, nameof(resilience.UnacknowledgedTimeout), resilience.UnacknowledgedTimeout, "must be positive");
        Check(resilience.RequestTimeout > TimeSpan.Zero, ResilienceOptions.SectionName, nameof(resilience.RequestTimeout), resilience.RequestTimeout, "must be positive");
        Check(resilience.RetryAfterSeconds >= 0, ResilienceOptions.SectionName, nameof(resilience.RetryAfterSeconds), resilience.RetryAfterSeconds, "must not be negative");
        Check(limits.MaxConnectionsPerEntryPort > 0, GatewayLimitsOptions.SectionName, nameof(limits.MaxConnectionsPerEntryPort), limits.MaxConnectionsPerEntryPort, "must be positive");
        Check(limits.MaxRequestHeadersTotalSize >= 1024, GatewayLimitsOptions.SectionName, nameof(limits.MaxRequestHeadersTotalSize), limits.MaxRequestHeadersTotalSize, "must be at least 1024");
        Check(limits.MaxRequestBodySize is null or > 0, GatewayLimitsOptions.SectionName, nameof(limits.MaxRequestBodySize), limits.MaxRequestBodySize, "must be positive (or empty for no limit)");
        Check(limits.RequestHeadersTimeout > TimeSpan.Zero, GatewayLimitsOptions.SectionName, nameof(limits.RequestHeadersTimeout), limits.RequestHeadersTimeout, "must be positive");
        Check(limits.MinRequestBodyBytesPerSecond > 0, GatewayLimitsOptions.SectionName, nameof(limits.MinRequestBodyBytesPerSecond), limits.MinRequestBodyBytesPerSecond, "must be positive");
        // Kestrel's MinDataRate rejects a grace period of 1 s or less, and only when the server starts.
        Check(limits.MinRequestBodyGracePeriod > TimeSpan.FromSeconds(1), GatewayLimitsOptions.SectionName, nameof(limits.MinRequestBodyGracePeriod), limits.MinRequestBodyGracePeriod, "must be longer than 1 s");
        Check(limits.KeepAliveTimeout > TimeSpan.Zero, GatewayLimitsOptions.SectionName, nameof(limits.KeepAliveTimeout), limits.KeepAliveTimeout, "must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string section, string name, object? value, string rule)
        {
            if (!ok)
            {
                failures.Add($"{section}:{name} = {value} {rule}.");
            }
        }
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
