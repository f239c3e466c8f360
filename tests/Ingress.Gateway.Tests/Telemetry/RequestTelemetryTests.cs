using System.Text.Json;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Telemetry;

public sealed class RequestTelemetryTests
{
    [Fact]
    public async Task ProxiedRequests_AreCountedByEntryPortServiceMethodAndCode()
    {
        var backends = await TestBackend.StartManyAsync("a", "b");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        for (var i = 0; i < 4; i++)
        {
            await gateway.Public.GetStringAsync("/x");
        }

        await gateway.Public.PostAsync("/x", new StringContent("1"));
        using var odd = new HttpRequestMessage(new HttpMethod("BREW"), "/x");
        await gateway.Public.SendAsync(odd);

        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        var port = gateway.EntryPorts[0];
        Assert.Contains($"ingress_requests_total{{entrypoint=\"{port}\",service=\"backends\",method=\"GET\",code=\"200\"}} 4", metrics);
        Assert.Contains($"ingress_requests_total{{entrypoint=\"{port}\",service=\"backends\",method=\"POST\",code=\"200\"}} 1", metrics);
        Assert.Contains($"ingress_requests_total{{entrypoint=\"{port}\",service=\"backends\",method=\"OTHER\",code=\"200\"}} 1", metrics);
        Assert.Contains($"ingress_request_duration_seconds_count{{entrypoint=\"{port}\",service=\"backends\"}} 6", metrics);
        Assert.Contains("ingress_backend_requests_total{service=\"backends\",destination=\"a\"} 3", metrics);
        Assert.Contains("ingress_backend_up{service=\"backends\",destination=\"b\"} 1", metrics);
        Assert.DoesNotContain("/x", metrics);
        await DisposeAll(backends);
    }

    [Fact]
    public async Task DeadReplica_IsExportedAsDown()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = StaticRoutes.CatchAll(backends);
        settings["ReverseProxy:Clusters:backends:Destinations:dead:Address"] = $"http://127.0.0.1:{FreePort.Next()}/";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        for (var i = 0; i < 4; i++)
        {
            await gateway.Public.GetStringAsync("/");
        }

        var metrics = await Eventually.WaitAsync(
            () => gateway.Admin.GetStringAsync("/metrics"),
            m => m.Contains("ingress_backend_up{service=\"backends\",destination=\"dead\"} 0", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "the dead replica to be exported as down",
            TimeSpan.FromMilliseconds(100));
        Assert.Contains("ingress_backend_up{service=\"backends\",destination=\"dead\"} 0", metrics);
        Assert.Contains("ingress_backend_up{service=\"backends\",destination=\"a\"} 1", metrics);
        await DisposeAll(backends);
    }

    [Fact]
    public async Task RuntimeAndKestrelMeters_AreExported()
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        var metrics = await Eventually.WaitAsync(
            () => gateway.Admin.GetStringAsync("/metrics"),
            m => m.Contains("kestrel", StringComparison.Ordinal) && m.Contains("dotnet_", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "the runtime and Kestrel meters to be exported",
            TimeSpan.FromMilliseconds(100));

        Assert.Contains("kestrel_active_connections", metrics);
        Assert.Contains("dotnet_gc_", metrics);
    }

    [Fact]
    public async Task AccessLog_WhenEnabled_WritesOneJsonLinePerRequestWithRetries()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = StaticRoutes.CatchAll(backends);
        settings["ReverseProxy:Clusters:backends:Destinations:dead:Address"] = $"http://127.0.0.1:{FreePort.Next()}/";
        settings["Ingress:Telemetry:AccessLog"] = "true";
        var output = new StringWriter();
        await using var gateway = await GatewayTestHost.StartAsync(settings, configure: builder =>
            builder.Services.AddSingleton(sp => new AccessLogWriter(sp.GetRequiredService<GatewayMetrics>(), TextWriter.Synchronized(output))));

        await gateway.Public.GetStringAsync("/first?q=1");
        await gateway.Public.GetStringAsync("/second");

        var lines = await Eventually.WaitAsync(
            () => Task.FromResult(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)),
            l => l.Length >= 2,
            TimeSpan.FromSeconds(10),
            "two access log lines",
            TimeSpan.FromMilliseconds(100));
        var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["/first", "/second"], entries.Select(e => e.GetProperty("path").GetString()));
        Assert.All(entries, e => Assert.Equal(200, e.GetProperty("status").GetInt32()));
        Assert.All(entries, e => Assert.Equal("all", e.GetProperty("route").GetString()));
        Assert.Equal(1, entries.Sum(e => e.GetProperty("retries").GetInt32()));
        Assert.All(entries, e => Assert.Equal("a", e.GetProperty("destination").GetString()));
        await DisposeAll(backends);
    }

    private static async Task DisposeAll(IEnumerable<TestBackend> backends)
    {
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
