using Ingress.Gateway.Discovery;
using Ingress.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Ingress.Observability.Tests.Common;

/// <summary>The real gateway, in process, on real loopback ports: entry ports and an admin port.</summary>
internal sealed class GatewayTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayTestHost(WebApplication app, int[] entryPorts, int adminPort)
    {
        _app = app;
        EntryPorts = entryPorts;
        AdminPort = adminPort;
        Public = ClientFor(entryPorts[0]);
        Admin = ClientFor(adminPort);
    }

    public int[] EntryPorts { get; }

    public int AdminPort { get; }

    public Uri AdminUri => new($"http://127.0.0.1:{AdminPort}/");

    /// <summary>A client of the default entry port.</summary>
    public HttpClient Public { get; }

    /// <summary>A client of the admin port.</summary>
    public HttpClient Admin { get; }

    /// <summary>The reconciler, so tests can publish discovery snapshots exactly as a source would.</summary>
    public IDiscoverySink Sink => _app.Services.GetRequiredService<IDiscoverySink>();

    public static HttpClient ClientFor(int port) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Starts a gateway with <paramref name="entryPortCount"/> free entry ports.</summary>
    public static async Task<GatewayTestHost> StartAsync(int entryPortCount = 1)
    {
        // A port found free can be taken by a parallel test before the gateway binds it; then try other ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(entryPortCount);
            }
            catch (IOException ex) when (attempt < 5 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static async Task<GatewayTestHost> TryStartAsync(int entryPortCount)
    {
        var entryPorts = Enumerable.Range(0, entryPortCount).Select(_ => FreePort.Next()).ToArray();
        var adminPort = FreePort.Next();
        var args = new List<string> { "--Ingress:ListenAddress=127.0.0.1", $"--Ingress:AdminPort={adminPort}" };
        for (var i = 0; i < entryPorts.Length; i++)
        {
            args.Add($"--Ingress:EntryPorts:{i}={entryPorts[i]}");
        }

        var app = GatewayApplication.Build([.. args], builder => builder.Logging.ClearProviders());
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new GatewayTestHost(app, entryPorts, adminPort);
    }

    public async ValueTask DisposeAsync()
    {
        Public.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
