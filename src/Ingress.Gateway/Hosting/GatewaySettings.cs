using Ingress.Gateway.Acme;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Discovery.Docker.Engine;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Hosting;

/// <summary>
/// The gateway's options, bound and validated before the host is built: Kestrel is configured from the listener ports,
/// and what is registered depends on what is enabled. Every section is checked before failing, so one
/// <see cref="GatewayConfigurationException"/> names every bad setting.
/// </summary>
/// <remarks>
/// <see cref="IOptions{TOptions}"/> gets the same binding and the same validators, so a consumer never sees options
/// that were not validated. They bind the same configuration, so they pass there whenever they passed here: nothing is
/// reported twice.
/// </remarks>
internal sealed class GatewaySettings
{
    private readonly IServiceCollection _services;
    private readonly IConfiguration _configuration;
    private readonly List<string> _failures = [];

    private GatewaySettings(IServiceCollection services, IConfiguration configuration)
    {
        _services = services;
        _configuration = configuration;
        // Each section binds through a lambda over its own type, so that the configuration binding generator sees the
        // type at the call site and generates the binding: no reflection, as Native AOT requires.
        Gateway = Add<GatewayOptions>(GatewayOptions.SectionName, static (c, o) => c.Bind(o), new GatewayOptionsValidator(), static gateway => gateway.ApplyDefaults());
        Dns = Add<DnsDiscoveryOptions>(DnsDiscoveryOptions.SectionName, static (c, o) => c.Bind(o), new DnsDiscoveryOptionsValidator());
        Docker = Add<DockerDiscoveryOptions>(DockerDiscoveryOptions.SectionName, static (c, o) => c.Bind(o), new DockerDiscoveryOptionsValidator());
        Control = Add<ControlOptions>(ControlOptions.SectionName, static (c, o) => c.Bind(o), new ControlOptionsValidator([.. Gateway.EntryPorts, Gateway.AdminPort]));
        int[] otherPorts = Control.Enabled ? [Gateway.AdminPort, Control.Port] : [Gateway.AdminPort];
        var defaultEntryPort = Gateway.DefaultEntryPort;
        Tls = Add<TlsOptions>(TlsOptions.SectionName, static (c, o) => c.Bind(o), new TlsOptionsValidator([.. Gateway.EntryPorts], otherPorts), tls => tls.ApplyDefaults(defaultEntryPort));

        // ACME is off unless a directory is set; its settings are checked only then.
        var acmeOn = !string.IsNullOrWhiteSpace(configuration[$"{AcmeOptions.SectionName}:{nameof(AcmeOptions.DirectoryUrl)}"]);
        Acme = Add<AcmeOptions>(AcmeOptions.SectionName, static (c, o) => c.Bind(o), acmeOn ? new AcmeOptionsValidator() : null);
        if (Acme.Enabled && !Tls.Enabled)
        {
            _failures.Add($"{AcmeOptions.SectionName}:{nameof(AcmeOptions.DirectoryUrl)} is set, but no TLS entry port (Ingress:Tls:Ports) would serve the certificates.");
        }

        Resilience = Add<ResilienceOptions>(ResilienceOptions.SectionName, static (c, o) => c.Bind(o), new ResilienceOptionsValidator());
        Limits = Add<GatewayLimitsOptions>(GatewayLimitsOptions.SectionName, static (c, o) => c.Bind(o), new GatewayLimitsOptionsValidator());
        Telemetry = Add<TelemetryOptions>(TelemetryOptions.SectionName, static (c, o) => c.Bind(o), validator: null);
        Tracing = Add<TracingOptions>(TracingOptions.SectionName, static (c, o) => c.Bind(o), new TracingOptionsValidator());
        Transport = Add<TransportOptions>(TransportOptions.SectionName, static (c, o) => c.Bind(o), new TransportOptionsValidator());
        Memory = Add<MemoryOptions>(MemoryOptions.SectionName, static (c, o) => c.Bind(o), validator: null);
        if (Docker.Enabled)
        {
            // The factory checks the endpoint and the certificates as it creates the client.
            try
            {
                DockerClient = DockerClientFactory.Create(Docker);
            }
            catch (GatewayConfigurationException ex)
            {
                _failures.AddRange(ex.Failures);
            }
        }
    }

    public GatewayOptions Gateway { get; }

    public DnsDiscoveryOptions Dns { get; }

    public DockerDiscoveryOptions Docker { get; }

    public ControlOptions Control { get; }

    public TlsOptions Tls { get; }

    public AcmeOptions Acme { get; }

    public ResilienceOptions Resilience { get; }

    public GatewayLimitsOptions Limits { get; }

    public TelemetryOptions Telemetry { get; }

    public TracingOptions Tracing { get; }

    public TransportOptions Transport { get; }

    public MemoryOptions Memory { get; }

    /// <summary>The Docker API client, when the Docker source is enabled.</summary>
    public DockerEngineClient? DockerClient { get; }

    /// <summary>Whether the relay serves the entry ports: configured on, and supported here.</summary>
    public bool Relay => Transport.Relay && RelayServiceCollectionExtensions.RelaySupported;

    /// <summary>A manager gateway (the control channel on, and the swarm read here) listens on the control port.</summary>
    public int? ControlPort => Control.Enabled && Docker.Enabled ? Control.Port : null;

    /// <summary>
    /// Binds and validates every section of <paramref name="configuration"/>, and registers the same binding and
    /// validators for <see cref="IOptions{TOptions}"/> in <paramref name="services"/>.
    /// </summary>
    /// <exception cref="GatewayConfigurationException">Some setting is bad; the message names each one.</exception>
    public static GatewaySettings Load(IServiceCollection services, IConfiguration configuration)
    {
        var settings = new GatewaySettings(services, configuration);
        return settings._failures.Count > 0 ? throw new GatewayConfigurationException(settings._failures) : settings;
    }

    private T Add<T>(string section, Action<IConfigurationSection, T> bind, IValidateOptions<T>? validator, Action<T>? applyDefaults = null)
        where T : class, new()
    {
        var options = new T();
        bind(_configuration.GetSection(section), options);
        applyDefaults?.Invoke(options);
        var configuration = _configuration;
        var registration = _services.AddOptions<T>().Configure(bound => bind(configuration.GetSection(section), bound));
        if (applyDefaults is not null)
        {
            registration.PostConfigure(applyDefaults);
        }

        if (validator is not null)
        {
            if (validator.Validate(Options.DefaultName, options) is { Failed: true } result)
            {
                _failures.AddRange(result.Failures ?? []);
            }

            _services.TryAddEnumerable(ServiceDescriptor.Singleton(validator));
        }

        return options;
    }
}
