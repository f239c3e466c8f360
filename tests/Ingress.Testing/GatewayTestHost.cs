using Ingress.Gateway.Discovery;
using Ingress.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Testing;

/// <summary>The real gateway, in process, on real loopback ports: one entry port (or more) and an admin port.</summary>
public sealed class GatewayTestHost : IAsyncDisposable
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

    /// <summary>The admin listener's base address.</summary>
    public Uri AdminUri => new($"http://127.0.0.1:{AdminPort}/");

    /// <summary>A client of the default entry port.</summary>
    public HttpClient Public { get; }

    /// <summary>A client of the admin port.</summary>
    public HttpClient Admin { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The reconciler, so tests can publish discovery snapshots exactly as a source would.</summary>
    public IDiscoverySink Sink => Services.GetRequiredService<IDiscoverySink>();

    /// <summary>A client of any loopback port of this gateway.</summary>
    public static HttpClient ClientFor(int port) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Starts a gateway with <paramref name="entryPortCount"/> free entry ports and the given extra settings.</summary>
    public static async Task<GatewayTestHost> StartAsync(IDictionary<string, string?>? settings = null, int entryPortCount = 1, Action<WebApplicationBuilder>? configure = null)
    {
        // A port found free can be taken by a parallel test before the gateway binds it; then try other ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(settings, entryPortCount, configure);
            }
            catch (IOException ex) when (attempt < 5 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static async Task<GatewayTestHost> TryStartAsync(IDictionary<string, string?>? settings, int entryPortCount, Action<WebApplicationBuilder>? configure)
    {
        var ports = FreePort.Next(entryPortCount + 1);
        var entryPorts = ports[..entryPortCount];
        var adminPort = ports[^1];
        var args = new List<string> { "--Ingress:ListenAddress=127.0.0.1", $"--Ingress:AdminPort={adminPort}" };
        for (var i = 0; i < entryPorts.Length; i++)
        {
            args.Add($"--Ingress:EntryPorts:{i}={entryPorts[i]}");
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            args.Add($"--{key}={value}");
        }

        var app = GatewayApplication.Build([.. args], builder =>
        {
            builder.Logging.ClearProviders();
            configure?.Invoke(builder);
        });
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
