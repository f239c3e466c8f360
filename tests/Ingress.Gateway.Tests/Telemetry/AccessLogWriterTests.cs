using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Telemetry;

public sealed class AccessLogWriterTests
{
    [Fact]
    public async Task Write_StdoutBroken_RequestsKeepBeingServedAndLinesAreCountedAsDropped()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = StaticRoutes.CatchAll(backends);
        settings["Ingress:Telemetry:AccessLog"] = "true";
        await using var gateway = await GatewayTestHost.StartAsync(settings, configure: builder =>
            builder.Services.AddSingleton(sp => new AccessLogWriter(sp.GetRequiredService<GatewayMetrics>(), new BrokenPipeWriter())));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("a", await gateway.Public.GetStringAsync($"/{i}"));
            await Task.Delay(5);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        string metrics;
        while (!(metrics = await gateway.Admin.GetStringAsync("/metrics")).Contains("ingress_access_log_dropped_total 20", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "ingress_access_log_dropped_total did not reach 20:\n" + metrics);
            await Task.Delay(50);
        }

        Assert.Equal("a", await gateway.Public.GetStringAsync("/after"));
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }

    /// <summary>stdout after the reading end of its pipe went away.</summary>
    private sealed class BrokenPipeWriter : StringWriter
    {
        public override Task WriteAsync(System.Text.StringBuilder? value, CancellationToken cancellationToken = default) =>
            throw new IOException("Broken pipe");
    }
}
