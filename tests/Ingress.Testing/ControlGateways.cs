using System.Security.Cryptography;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Discovery.Docker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ingress.Testing;

/// <summary>
/// Real gateways on loopback talking over a real control channel: manager gateways (the Docker source's place taken by
/// the test, which publishes snapshots through <see cref="GatewayTestHost.Sink"/> exactly as that source would) and
/// followers. Owns a token file for them.
/// </summary>
public sealed class ControlGateways : IDisposable
{
    public ControlGateways()
    {
        TokenFile = NewTokenFile();
    }

    public string TokenFile { get; }

    /// <summary>A token file with another token, for a gateway that does not belong.</summary>
    public static string NewTokenFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "ingress-control-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        return path;
    }

    /// <summary>Fast heartbeats and retries, so that tests of loss and recovery take seconds.</summary>
    public static Dictionary<string, string?> Timings() => new()
    {
        ["Ingress:Control:HeartbeatInterval"] = "00:00:01",
        ["Ingress:Control:HeartbeatGrace"] = "00:00:01",
        ["Ingress:Control:MaxRetryDelay"] = "00:00:00.500",
    };

    /// <summary>A manager gateway serving the control channel on <paramref name="controlPort"/> (a free one when 0).</summary>
    public async Task<(GatewayTestHost Gateway, int ControlPort)> StartManagerAsync(
        int controlPort = 0, string? tokenFile = null, IDictionary<string, string?>? extra = null, Action<WebApplicationBuilder>? configure = null, int tlsPortCount = 0)
    {
        controlPort = controlPort == 0 ? FreePort.Next() : controlPort;
        var settings = Timings();
        settings["Ingress:Discovery:Docker:Enabled"] = "true";
        settings["Ingress:Discovery:Docker:Endpoint"] = "unix:///nonexistent/ingress-test-docker.sock";
        settings["Ingress:Control:Enabled"] = "true";
        settings["Ingress:Control:Port"] = controlPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Ingress:Control:Managers"] = $"127.0.0.1:{controlPort}";
        settings["Ingress:Control:TokenFile"] = tokenFile ?? TokenFile;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var gateway = await GatewayTestHost.StartAsync(settings, configure: builder =>
        {
            var source = builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DockerSwarmSource));
            builder.Services.Remove(source);
            configure?.Invoke(builder);
        }, tlsPortCount: tlsPortCount);

        // Until it has resolved the manager gateways' name, a manager takes no control request (403): wait for that, so
        // that a test's first request does not race the watcher on a loaded machine.
        var network = gateway.Services.GetRequiredService<ControlNetwork>();
        await Eventually.WaitAsync(() => network.IsKnown, TimeSpan.FromSeconds(15), "the manager gateway to know its control network");
        return (gateway, controlPort);
    }

    /// <summary>A follower of the manager gateways at <paramref name="managers"/> (<c>host:port</c>, comma-separated).</summary>
    public Task<GatewayTestHost> StartFollowerAsync(string managers, string? tokenFile = null, IDictionary<string, string?>? extra = null, int tlsPortCount = 0)
    {
        var settings = Timings();
        settings["Ingress:Control:Enabled"] = "true";
        settings["Ingress:Control:Managers"] = managers;
        settings["Ingress:Control:TokenFile"] = tokenFile ?? TokenFile;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return GatewayTestHost.StartAsync(settings, tlsPortCount: tlsPortCount);
    }

    public void Dispose() => File.Delete(TokenFile);
}
