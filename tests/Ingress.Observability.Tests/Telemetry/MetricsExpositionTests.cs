using Ingress.Observability.Tests.Common;

namespace Ingress.Observability.Tests.Telemetry;

/// <summary>The admin port's <c>/metrics</c>, scraped from a live gateway and checked by Prometheus' own linter.</summary>
public sealed class MetricsExpositionTests
{
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Metrics_AfterRealTraffic_PassPromtoolCheckMetrics()
    {
        var promtool = RequiredTool.Find("/usr/bin/promtool", "prometheus");
        await using var farm = await ReplicaFarm.StartAsync(3);
        await using var gateway = await GatewayTestHost.StartAsync();
        await GatewayWorkload.RunAsync(gateway, farm);

        var exposition = await gateway.Admin.GetStringAsync("/metrics");

        // The scrape holds every kind of series the check is about: labelled counters, the histogram, runtime and Kestrel meters.
        Assert.Contains("ingress_requests_total{", exposition);
        Assert.Contains("ingress_request_duration_seconds_bucket{", exposition);
        Assert.Contains("ingress_retries_total{service=\"web\"}", exposition);
        Assert.Contains("ingress_no_healthy_replica_total{service=\"empty\"}", exposition);
        Assert.Contains("system_runtime_", exposition);
        Assert.Contains("microsoft_aspnetcore_server_kestrel_", exposition);
        var check = await Shell.TryRunAsync(promtool, ["check", "metrics"], s_toolTimeout, standardInput: exposition);
        Assert.True(check.ExitCode == 0, $"promtool check metrics rejected the gateway's exposition (exit code {check.ExitCode}):\n{check.Output}");
    }

    [Fact]
    public async Task PromtoolCheckMetrics_GaugeNamedLikeACount_FailsTheCheck()
    {
        // The check above is only worth something if promtool does fail on a naming problem like the ones it guards against.
        var promtool = RequiredTool.Find("/usr/bin/promtool", "prometheus");
        const string exposition = "# HELP demo_thread_count Threads.\n# TYPE demo_thread_count gauge\ndemo_thread_count 4\n";

        var check = await Shell.TryRunAsync(promtool, ["check", "metrics"], s_toolTimeout, standardInput: exposition);

        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("_count", check.Output);
    }
}
