using System.Diagnostics;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Hosting;
using Microsoft.Extensions.Hosting;

namespace Ingress.Gateway.Tests.Hosting;

/// <summary>Settings that used to get past validation and crash later with a stack trace; and failures after start.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("--Ingress:Limits:MinRequestBodyGracePeriod=00:00:01", "Ingress:Limits:MinRequestBodyGracePeriod")]
    [InlineData("--Ingress:Discovery:Docker:Endpoint=ftp://docker.example", "Ingress:Discovery:Docker:Endpoint")]
    public void Build_SettingOnlyTheServerUsedToReject_ThrowsNamingTheKey(string argument, string key)
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build(["--Ingress:Discovery:Docker:Enabled=true", argument]));

        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void Build_TlsDirectoryWithoutCertificates_ThrowsNamingTheKeyAndTheFile()
    {
        var directory = Directory.CreateTempSubdirectory("ingress-no-certs-");
        try
        {
            var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
                "--Ingress:Discovery:Docker:Enabled=true",
                "--Ingress:Discovery:Docker:Endpoint=tcp://127.0.0.1:2376",
                $"--Ingress:Discovery:Docker:TlsCertificatePath={directory.FullName}",
            ]));

            Assert.Contains("Ingress:Discovery:Docker:TlsCertificatePath", ex.Message);
            Assert.Contains("cert.pem", ex.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Build_BadSettingsInSeveralSections_OneMessageListsThemAll()
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:AdminPort=70000",
            "--Ingress:Discovery:Docker:TaskRefreshInterval=-00:00:01",
            "--Ingress:Resilience:MaxAttempts=0",
            "--Ingress:Limits:KeepAliveTimeout=00:00:00",
        ]));

        Assert.Equal(4, ex.Failures.Count);
        foreach (var key in new[] { "Ingress:AdminPort", "Ingress:Discovery:Docker:TaskRefreshInterval", "Ingress:Resilience:MaxAttempts", "Ingress:Limits:KeepAliveTimeout" })
        {
            Assert.Contains(key, ex.Message);
        }
    }

    [Fact]
    public async Task Process_BadDockerEndpoint_ExitsWithCodeTwoAndNoStackTrace()
    {
        var (exitCode, output) = await RunGatewayProcessAsync("--Ingress:Discovery:Docker:Enabled=true", "--Ingress:Discovery:Docker:Endpoint=ftp://docker.example");

        Assert.Equal(GatewayApplication.ConfigurationErrorExitCode, exitCode);
        Assert.Contains("Ingress:Discovery:Docker:Endpoint", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task ExitCodeAfterShutdown_ABackgroundServiceFaulted_IsNonZero_ARequestedStopIsZero()
    {
        var free = FreePort.Next(2);
        var settings = new[] { $"--Ingress:EntryPorts:0={free[0]}", $"--Ingress:AdminPort={free[1]}", "--Ingress:ListenAddress=127.0.0.1" };

        await using (var healthy = GatewayApplication.Build(settings))
        {
            await healthy.StartAsync();
            await healthy.StopAsync();
            Assert.Equal(0, GatewayApplication.ExitCodeAfterShutdown(healthy.Services));
        }

        await using var failing = GatewayApplication.Build(settings, builder => builder.Services.AddHostedService<FaultingService>());
        await failing.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await failing.WaitForShutdownAsync(timeout.Token);
        Assert.Equal(GatewayApplication.BackgroundFailureExitCode, GatewayApplication.ExitCodeAfterShutdown(failing.Services));
    }

    private static async Task<(int ExitCode, string Output)> RunGatewayProcessAsync(params string[] arguments)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Ingress.Gateway.dll");
        var free = FreePort.Next(2);
        var ports = new[] { $"--Ingress:EntryPorts:0={free[0]}", $"--Ingress:AdminPort={free[1]}", "--Ingress:ListenAddress=127.0.0.1" };
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(dll);
        foreach (var argument in ports.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr + await stdout);
    }

    private sealed class FaultingService : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(50, stoppingToken);
            throw new InvalidOperationException("a background loop failed");
        }
    }
}
