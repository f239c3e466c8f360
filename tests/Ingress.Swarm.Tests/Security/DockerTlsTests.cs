using Ingress.Gateway.Hosting;
using Ingress.Swarm.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Ingress.Swarm.Tests.Security;

/// <summary>The gateway reaching a manager's API over <c>tcp://</c> with TLS client certificates instead of a mounted socket.</summary>
[Collection(SwarmCollection.Name)]
public sealed class DockerTlsTests
{
    [Fact]
    public async Task TcpEndpointWithClientCertificate_DiscoversTheSwarm_StrangerCertificateIsRefused()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ingress-tls-" + Guid.NewGuid().ToString("N"));
        await using var proxy = await TlsSocketProxy.StartAsync(directory);
        try
        {
            await using var trusted = await StartGatewayAsync(proxy.Port, proxy.Certificates.TrustedClientDirectory);
            await Eventually.WaitAsync(() => trusted.Admin.GetStringAsync("/api/state"), s => s.Contains($"\"name\":\"{SwarmFixture.HostnameService}\"", StringComparison.Ordinal) && s.Contains("\"state\":\"up\"", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "discovery over TLS");

            await using var stranger = await StartGatewayAsync(proxy.Port, proxy.Certificates.UntrustedClientDirectory);
            var body = await Eventually.WaitAsync(async () => await (await stranger.Admin.GetAsync("/readyz")).Content.ReadAsStringAsync(), b => b.Contains("\"state\":\"failing\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the stranger's source to fail");
            Assert.Contains("\"status\":\"not ready\"", body);
            Assert.DoesNotContain(SwarmFixture.HostnameService, await stranger.Admin.GetStringAsync("/api/state"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<InProcessGateway> StartGatewayAsync(int proxyPort, string certificates)
    {
        var admin = FreePort();
        var app = GatewayApplication.Build(
        [
            "--Ingress:ListenAddress=127.0.0.1",
            $"--Ingress:EntryPorts:0={FreePort()}",
            $"--Ingress:AdminPort={admin}",
            "--Ingress:Discovery:Docker:Enabled=true",
            $"--Ingress:Discovery:Docker:Endpoint=tcp://127.0.0.1:{proxyPort}",
            $"--Ingress:Discovery:Docker:TlsCertificatePath={certificates}",
        ], builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        return new InProcessGateway(app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}/"), Timeout = TimeSpan.FromSeconds(10) });
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record InProcessGateway(WebApplication App, HttpClient Admin) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
