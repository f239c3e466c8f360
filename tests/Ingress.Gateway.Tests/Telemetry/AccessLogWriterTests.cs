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

        await Eventually.WaitAsync(
            () => gateway.Admin.GetStringAsync("/metrics"),
            m => m.Contains("ingress_access_log_dropped_total 20", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "ingress_access_log_dropped_total to reach 20",
            TimeSpan.FromMilliseconds(50));

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
