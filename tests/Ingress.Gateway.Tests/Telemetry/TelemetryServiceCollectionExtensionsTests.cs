using Ingress.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Telemetry;

public sealed class TelemetryServiceCollectionExtensionsTests
{
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Fact]
    public void AddIngressGateway_HostingDiagnosticsNotConfigured_IsOff()
    {
        using var app = GatewayApplication.Build([]);

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(HostingDiagnostics);

        Assert.False(logger.IsEnabled(LogLevel.Critical));
    }

    [Fact]
    public void AddIngressGateway_HostingDiagnosticsConfigured_KeepsTheConfiguredLevel()
    {
        using var app = GatewayApplication.Build([$"--Logging:LogLevel:{HostingDiagnostics}=Information"]);

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(HostingDiagnostics);

        Assert.True(logger.IsEnabled(LogLevel.Information));
    }
}
