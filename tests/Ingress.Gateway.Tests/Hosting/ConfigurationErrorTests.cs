using System.Diagnostics;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Hosting;

namespace Ingress.Gateway.Tests.Hosting;

public sealed class ConfigurationErrorTests
{
    [Theory]
    [InlineData("--Ingress:EntryPorts:0=70000", "Ingress:EntryPorts:0")]
    [InlineData("--Ingress:AdminPort=8888", "Ingress:AdminPort")]
    [InlineData("--Ingress:ListenAddress=nowhere", "Ingress:ListenAddress")]
    [InlineData("--Ingress:Discovery:Dns:Enabled=true", "Ingress:Discovery:Dns:Services")]
    [InlineData("--Ingress:Discovery:Docker:TaskRefreshInterval=-00:00:01", "Ingress:Discovery:Docker:TaskRefreshInterval")]
    [InlineData("--Ingress:Resilience:UnacknowledgedTimeout=00:00:00", "Ingress:Resilience:UnacknowledgedTimeout")]
    [InlineData("--Ingress:Limits:MaxConnectionsPerEntryPort=0", "Ingress:Limits:MaxConnectionsPerEntryPort")]
    [InlineData("--Ingress:Transport:EventLoops=65", "Ingress:Transport:EventLoops")]
    [InlineData("--Ingress:Control:Enabled=true", "Ingress:Control:Managers")]
    public void Build_InvalidIngressSetting_ThrowsNamingTheKey(string argument, string key)
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([argument]));

        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void Build_DnsServiceWithBadPublish_NamesTheEntryAndTheLabel()
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=web",
            "--Ingress:Discovery:Dns:Services:0:Publish=80:abc",
        ]));

        Assert.Contains("Ingress:Discovery:Dns:Services:0", ex.Message);
        Assert.Contains("ingress.publish", ex.Message);
    }

    [Fact]
    public void Build_DnsServiceWithBadScheme_NamesTheEntryAndTheLabel()
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=grpc",
            "--Ingress:Discovery:Dns:Services:0:Publish=80",
            "--Ingress:Discovery:Dns:Services:0:Scheme=https",
        ]));

        Assert.Contains("Ingress:Discovery:Dns:Services:0", ex.Message);
        Assert.Contains("ingress.scheme", ex.Message);
    }

    [Theory]
    [InlineData(new[] { "--Ingress:AdminPort=abc" }, "Ingress:AdminPort")]
    [InlineData(new[] { "--ReverseProxy:Clusters:c:LoadBalancingPolicy=Fastest" }, "Fastest")]
    [InlineData(new[] { "--Ingress:EntryPorts:0=0" }, "Ingress:EntryPorts:0")]
    [InlineData(new[] { "--ReverseProxy:Routes:r:ClusterId=c", "--ReverseProxy:Routes:r:Match:Path={**all}", "--ReverseProxy:Routes:r:Metadata:ingress.redirect.scheme=ftp", "--ReverseProxy:Clusters:c:Destinations:d:Address=http://127.0.0.1:9/" }, "ingress.redirect.scheme=ftp: expected https or http")]
    [InlineData(new[] { "--ReverseProxy:Routes:r:ClusterId=c", "--ReverseProxy:Routes:r:Match:Path={**all}", "--ReverseProxy:Routes:r:Metadata:ingress.request.headers.set.Host=evil.test", "--ReverseProxy:Clusters:c:Destinations:d:Address=http://127.0.0.1:9/" }, "ingress.request.headers.set.Host=evil.test: the gateway sets Host")]
    [InlineData(new[] { "--ReverseProxy:Routes:r:ClusterId=c", "--ReverseProxy:Routes:r:Match:Path={**all}", "--ReverseProxy:Routes:r:Metadata:ingress.auth.basic.usersfile=users.htpasswd", "--ReverseProxy:Clusters:c:Destinations:d:Address=http://127.0.0.1:9/" }, "ingress.auth.basic.usersfile=users.htpasswd: expected the absolute path")]
    [InlineData(new[] { "--Ingress:Tls:Ports:0:Port=8443", "--Ingress:Tls:CertificatesPath=/nonexistent/certificates" }, "Ingress:Tls:CertificatesPath")]
    [InlineData(new[] { "--Ingress:Discovery:Dns:Enabled=true", "--Ingress:Discovery:Dns:Services:0:Name=web", "--Ingress:Discovery:Dns:LookupTimeout=-00:00:01" }, "Ingress:Discovery:Dns:LookupTimeout")]
    [InlineData(new[] { "--Ingress:Discovery:Dns:Enabled=true", "--Ingress:Discovery:Dns:Services:0:Name=web", "--Ingress:Discovery:Dns:MaxRetryDelay=00:00:00" }, "Ingress:Discovery:Dns:MaxRetryDelay")]
    public async Task Process_InvalidConfiguration_ExitsWithOneClearMessageAndNoStackTrace(string[] arguments, string expected)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Ingress.Gateway.dll");
        var ports = new[] { $"--Ingress:EntryPorts:0={FreePort.Next()}", $"--Ingress:AdminPort={FreePort.Next()}", "--Ingress:ListenAddress=127.0.0.1" };
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

        Assert.Equal(GatewayApplication.ConfigurationErrorExitCode, process.ExitCode);
        var output = await stderr + await stdout;
        Assert.Contains("the gateway cannot start", output);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
    }
}
