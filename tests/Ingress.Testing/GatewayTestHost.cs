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

    private GatewayTestHost(WebApplication app, int[] entryPorts, int[] tlsPorts, int adminPort)
    {
        _app = app;
        EntryPorts = entryPorts;
        TlsPorts = tlsPorts;
        AdminPort = adminPort;
        Public = ClientFor(entryPorts[0]);
        Admin = ClientFor(adminPort);
    }

    public int[] EntryPorts { get; }

    /// <summary>The TLS entry ports (<c>Ingress:Tls:Ports</c>), each serving the routes of the default entry port.</summary>
    public int[] TlsPorts { get; }

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

    /// <summary>
    /// Starts a gateway with <paramref name="entryPortCount"/> free entry ports, <paramref name="tlsPortCount"/> free TLS
    /// ports and the given extra settings (with TLS ports, they must name the certificates: <c>Ingress:Tls:CertificatesPath</c>).
    /// </summary>
    public static async Task<GatewayTestHost> StartAsync(
        IDictionary<string, string?>? settings = null, int entryPortCount = 1, Action<WebApplicationBuilder>? configure = null, int tlsPortCount = 0)
    {
        // A port found free can be taken by a parallel test before the gateway binds it; then try other ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(settings, entryPortCount, tlsPortCount, configure);
            }
            catch (IOException ex) when (attempt < 5 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private static async Task<GatewayTestHost> TryStartAsync(
        IDictionary<string, string?>? settings, int entryPortCount, int tlsPortCount, Action<WebApplicationBuilder>? configure)
    {
        var ports = FreePort.Next(entryPortCount + tlsPortCount + 1);
        var entryPorts = ports[..entryPortCount];
        var tlsPorts = ports[entryPortCount..^1];
        var adminPort = ports[^1];
        // No start-up memory release by default: in process it would advise the test host's own pages and run a
        // blocking full GC in the middle of other tests' timings (StartupMemoryReleaseTests test it on its own).
        var args = new List<string> { "--Ingress:ListenAddress=127.0.0.1", $"--Ingress:AdminPort={adminPort}", "--Ingress:Memory:ReleaseAfterStart=false" };
        for (var i = 0; i < entryPorts.Length; i++)
        {
            args.Add($"--Ingress:EntryPorts:{i}={entryPorts[i]}");
        }

        for (var i = 0; i < tlsPorts.Length; i++)
        {
            args.Add($"--Ingress:Tls:Ports:{i}:Port={tlsPorts[i]}");
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

        return new GatewayTestHost(app, entryPorts, tlsPorts, adminPort);
    }

    public async ValueTask DisposeAsync()
    {
        Public.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
