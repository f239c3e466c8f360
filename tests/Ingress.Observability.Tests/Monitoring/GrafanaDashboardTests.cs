using Ingress.Observability.Tests.Common;

namespace Ingress.Observability.Tests.Monitoring;

/// <summary>
/// The provisioned Grafana dashboard checked against the real gateway: every query names metrics and labels that a
/// live scrape shows, and evaluates in a real Prometheus scraping that gateway.
/// </summary>
public sealed class GrafanaDashboardTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    // Added by Prometheus to every scraped series, so they never appear in the gateway's own exposition.
    private static readonly string[] s_targetLabels = ["instance", "job"];

    [Fact]
    public async Task Dashboard_EveryQuery_UsesOnlyMetricNamesTheGatewayExports()
    {
        var exposition = await ScrapeLiveGatewayAsync();
        var dashboard = GrafanaDashboard.Load();

        Assert.NotEmpty(dashboard.Queries);
        foreach (var (panel, expression) in dashboard.Queries)
        {
            var metrics = PromQl.MetricNames(expression);
            Assert.True(metrics.Count > 0, $"Panel '{panel}': no metric found in {expression}");
            foreach (var metric in metrics)
            {
                Assert.True(exposition.Names.Contains(metric), $"Panel '{panel}' queries {metric}, which the gateway does not export: {expression}");
            }
        }
    }

    [Fact]
    public async Task Dashboard_EveryQuery_MatchesAndGroupsOnlyByLabelsItsMetricsCarry()
    {
        var exposition = await ScrapeLiveGatewayAsync();

        foreach (var (panel, expression) in GrafanaDashboard.Load().Queries)
        {
            var sampled = PromQl.MetricNames(expression).Where(exposition.HasSamples).ToList();
            // Only series seen in the scrape show their labels (the workload leaves a few, like refused retries, at none).
            if (sampled.Count == 0)
            {
                continue;
            }

            var carried = sampled.SelectMany(exposition.LabelsOf).Concat(s_targetLabels).ToHashSet(StringComparer.Ordinal);
            foreach (var label in PromQl.LabelNames(expression))
            {
                Assert.True(carried.Contains(label), $"Panel '{panel}' uses label '{label}', which {string.Join(", ", sampled)} do not carry: {expression}");
            }
        }
    }

    [Fact]
    public async Task Dashboard_EveryQuery_EvaluatesInRealPrometheusAndReturnsDataWhereTheGatewayHasSamples()
    {
        await using var farm = await ReplicaFarm.StartAsync(3);
        await using var gateway = await GatewayTestHost.StartAsync();
        await using var prometheus = await PrometheusServer.StartAsync("ingress", $"127.0.0.1:{gateway.AdminPort}", s_timeout);
        await GatewayWorkload.RunAsync(gateway, farm);
        var exposition = new MetricsExposition(await gateway.Admin.GetStringAsync("/metrics"));
        // Steady traffic while Prometheus scrapes, so rates have an increase to show; then wait for the request rate.
        using var stop = new CancellationTokenSource(s_timeout * 2);
        var traffic = Traffic.RunAsync(gateway.Public, $"127.0.0.1:{gateway.EntryPorts[0]}", TimeSpan.FromMilliseconds(20), "/", stop.Token);
        var window = TimeSpan.FromSeconds(30);
        await prometheus.QueryUntilAsync(
            PromQl.ForPrometheus("sum(rate(ingress_requests_total[$__rate_interval])) > 0", window), r => r.GetArrayLength() > 0, s_timeout);

        foreach (var (panel, expression) in GrafanaDashboard.Load().Queries)
        {
            var query = PromQl.ForPrometheus(expression, window);
            var metrics = PromQl.MetricNames(expression);
            if (metrics.All(exposition.HasSamples))
            {
                await prometheus.QueryUntilAsync(query, result => result.GetArrayLength() > 0, s_timeout);
            }
            else
            {
                // Still run it: Prometheus rejects a query that does not parse or mixes types wrongly.
                await prometheus.QueryAsync(query);
            }
        }

        await stop.CancelAsync();
        await traffic;
    }

    [Fact]
    public void Dashboard_EveryPanel_UsesTheProvisionedPrometheusDataSource()
    {
        var datasources = Yaml.Parse(File.ReadAllText(Repository.PathOf("docs", "monitoring", "grafana", "provisioning", "datasources", "prometheus.yml")));
        var uid = ((Dictionary<object, object>)datasources.List("datasources").Single()).Text("uid");

        var panels = GrafanaDashboard.Load().Panels;

        Assert.NotEmpty(panels);
        Assert.All(panels, panel => Assert.All(panel.DataSourceUids, used => Assert.Equal(uid, used)));
        Assert.All(panels.Where(p => p.Type != "row"), panel => Assert.NotEmpty(panel.Queries));
    }

    [Fact]
    public void Dashboard_Panels_CoverTheGatewaysKeyMetrics()
    {
        var queried = GrafanaDashboard.Load().Queries.SelectMany(q => PromQl.MetricNames(q.Expression)).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(StringComparer.Ordinal)
        {
            "ingress_requests_total",
            "ingress_request_duration_seconds_bucket",
            "ingress_backend_up",
            "ingress_retries_total",
            "ingress_discovered_tasks",
            "ingress_config_reloads_total",
            "ingress_discovery_errors_total",
            "ingress_invalid_services",
            "ingress_open_connections",
        }, queried);
    }

    private static async Task<MetricsExposition> ScrapeLiveGatewayAsync()
    {
        await using var farm = await ReplicaFarm.StartAsync(3);
        await using var gateway = await GatewayTestHost.StartAsync();
        await GatewayWorkload.RunAsync(gateway, farm);
        return new MetricsExposition(await gateway.Admin.GetStringAsync("/metrics"));
    }
}
