using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Hosting;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Tests.Hosting;

/// <summary>The eager bind-and-validate step, and the <see cref="IOptions{TOptions}"/> it registers.</summary>
public sealed class GatewaySettingsTests
{
    [Fact]
    public void Load_BadSettingsInEverySection_ReportsEachOnce()
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => Load(new()
        {
            ["Ingress:AdminPort"] = "70000",
            ["Ingress:Discovery:Docker:RequestTimeout"] = "00:00:00",
            ["Ingress:Discovery:Dns:Enabled"] = "true",
            ["Ingress:Control:Enabled"] = "true",
            ["Ingress:Resilience:RetryBudgetRatio"] = "2",
            ["Ingress:Limits:MaxRequestHeadersTotalSize"] = "10",
            ["Ingress:Transport:EventLoops"] = "0",
        }));

        Assert.Equal(ex.Failures.Count, ex.Failures.Distinct().Count());
        foreach (var key in new[]
        {
            "Ingress:AdminPort", "Ingress:Discovery:Docker:RequestTimeout", "Ingress:Discovery:Dns:Services", "Ingress:Control:Managers",
            "Ingress:Resilience:RetryBudgetRatio", "Ingress:Limits:MaxRequestHeadersTotalSize", "Ingress:Transport:EventLoops",
        })
        {
            Assert.Contains(ex.Failures, f => f.StartsWith(key, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Load_NoSettings_DefaultsWithTheDefaultEntryPort()
    {
        var services = new ServiceCollection();

        var settings = GatewaySettings.Load(services, new ConfigurationBuilder().Build());

        Assert.Equal([GatewayOptions.DefaultPublicPort], settings.Gateway.EntryPorts);
        Assert.Null(settings.DockerClient);
        Assert.Null(settings.ControlPort);
        using var provider = services.BuildServiceProvider();
        Assert.Equal([GatewayOptions.DefaultPublicPort], provider.GetRequiredService<IOptions<GatewayOptions>>().Value.EntryPorts);
    }

    [Fact]
    public void Options_AfterLoad_HoldWhatWasBound()
    {
        var services = new ServiceCollection();
        GatewaySettings.Load(services, Configuration(new()
        {
            ["Ingress:EntryPorts:0"] = "9000",
            ["Ingress:EntryPorts:1"] = "9001",
            ["Ingress:AdminPort"] = "9100",
            ["Ingress:Resilience:MaxAttempts"] = "5",
            ["Ingress:Limits:KeepAliveTimeout"] = "00:00:30",
            ["Ingress:Telemetry:AccessLog"] = "true",
            ["Ingress:Transport:EventLoops"] = "2",
            ["Ingress:Discovery:Docker:Networks:0"] = "web",
        }));

        using var provider = services.BuildServiceProvider();
        var gateway = provider.GetRequiredService<IOptions<GatewayOptions>>().Value;
        Assert.Equal([9000, 9001], gateway.EntryPorts);
        Assert.Equal(9100, gateway.AdminPort);
        Assert.Equal(5, provider.GetRequiredService<IOptions<ResilienceOptions>>().Value.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<GatewayLimitsOptions>>().Value.KeepAliveTimeout);
        Assert.True(provider.GetRequiredService<IOptions<TelemetryOptions>>().Value.AccessLog);
        Assert.Equal(2, provider.GetRequiredService<IOptions<TransportOptions>>().Value.EventLoops);
        Assert.Equal(["web"], provider.GetRequiredService<IOptions<DockerDiscoveryOptions>>().Value.Networks);
        Assert.False(provider.GetRequiredService<IOptions<ControlOptions>>().Value.Enabled);
    }

    [Fact]
    public void Options_ConfiguredBadAfterLoad_ThrowsNamingTheKey()
    {
        // What a consumer reads through IOptions<T> is validated too, by the same validators (here while the proxy is
        // mapped, whose forwarding reads the resilience options).
        var ex = Assert.Throws<OptionsValidationException>(() =>
            GatewayApplication.Build([], builder => builder.Services.Configure<ResilienceOptions>(o => o.MaxAttempts = 0)));

        Assert.Contains("Ingress:Resilience:MaxAttempts", ex.Message);
        Assert.True(GatewayApplication.IsConfigurationError(ex));
    }

    private static GatewaySettings Load(Dictionary<string, string?> settings) =>
        GatewaySettings.Load(new ServiceCollection(), Configuration(settings));

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
