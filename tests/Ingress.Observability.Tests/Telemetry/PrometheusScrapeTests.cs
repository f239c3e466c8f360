using System.Globalization;
using System.Text.Json;
using Ingress.Observability.Tests.Common;

namespace Ingress.Observability.Tests.Telemetry;

/// <summary>A real Prometheus scraping a live gateway's admin port, queried through its HTTP API.</summary>
public sealed class PrometheusScrapeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Scrape_GatewayUnderTraffic_RequestCountQueryableThroughPrometheusApi()
    {
        await using var farm = await ReplicaFarm.StartAsync(3);
        await using var gateway = await GatewayTestHost.StartAsync();
        await using var prometheus = await PrometheusServer.StartAsync("ingress", $"127.0.0.1:{gateway.AdminPort}", s_timeout);

        await GatewayWorkload.RunAsync(gateway, farm);

        var result = await prometheus.QueryUntilAsync(
            "ingress_requests_total{service=\"web\"}",
            series => series.GetArrayLength() == 1 && Value(series[0]) == GatewayWorkload.WebRequests,
            s_timeout);
        var labels = result[0].GetProperty("metric");
        Assert.Equal("ingress", labels.GetProperty("job").GetString());
        Assert.Equal($"127.0.0.1:{gateway.AdminPort}", labels.GetProperty("instance").GetString());
        Assert.Equal(gateway.EntryPorts[0].ToString(CultureInfo.InvariantCulture), labels.GetProperty("entrypoint").GetString());
        Assert.Equal("GET", labels.GetProperty("method").GetString());
        Assert.Equal("200", labels.GetProperty("code").GetString());
        var up = await prometheus.QueryAsync("up{job=\"ingress\"}");
        Assert.Equal(1, Value(up.GetProperty("result")[0]));
    }

    private static double Value(JsonElement sample) =>
        double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
}
