using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Running;
using Ingress.Swarm.Tests.Common;
using Xunit.Abstractions;

namespace Ingress.Swarm.Tests.Resilience;

/// <summary>
/// The promise: a client under steady load sees zero failed requests (transport errors plus 5xx) while the swarm
/// churns. Each scenario drives 200 requests/s through 127.0.0.1:8888 with the project's load runner and changes the
/// swarm on a schedule. The same scenarios against a gateway with retries and passive health switched off are
/// recorded for contrast (docs/benchmarks.md), not asserted.
/// </summary>
[Collection(SwarmCollection.Name)]
public sealed class ChurnUnderLoadTests(SwarmFixture swarm, ITestOutputHelper output)
{
    private const double Rate = 200;
    private const int PlainEntryPort = 18894;
    private const int PlainAdminPort = 18895;

    [Fact]
    public async Task KillOneTask_UnderLoad_NoFailedRequest()
    {
        var report = await RunAsync(SwarmFixture.EntryPort, "kill-task", TimeSpan.FromSeconds(20), [new("docker kill one hostname task", TimeSpan.FromSeconds(5), KillOneTaskAsync)]);

        Assert.Equal(0, report.Failures);
        await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task RollingUpdate_UnderLoad_NoFailedRequest()
    {
        var report = await RunAsync(SwarmFixture.EntryPort, "rolling-update", TimeSpan.FromSeconds(40), [new("docker service update --force", TimeSpan.FromSeconds(2), ForceUpdateAsync)]);

        Assert.Equal(0, report.Failures);
        await WaitForUpdateAsync();
        await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task ScaleDownAndUp_UnderLoad_NoFailedRequest()
    {
        var report = await RunAsync(SwarmFixture.EntryPort, "scale-3-1-3", TimeSpan.FromSeconds(20),
        [
            new("scale to 1", TimeSpan.FromSeconds(3), _ => SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 1)),
            new("scale to 3", TimeSpan.FromSeconds(10), _ => SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 3)),
        ]);

        Assert.Equal(0, report.Failures);
        await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task SameChurn_WithRetriesAndPassiveHealthOff_IsRecordedForContrast()
    {
        await using var plain = await TestService.CreateAsync(
            "ingress-test-plain-gateway",
            swarm.GatewayImage,
            "--user", "root",
            "--publish", $"mode=host,published={PlainEntryPort},target=8888",
            "--publish", $"mode=host,published={PlainAdminPort},target=8080",
            "--mount", "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock,readonly",
            "--env", "Ingress__Discovery__Docker__Enabled=true",
            "--env", "Ingress__Resilience__Retries=false",
            "--env", "Ingress__Resilience__PassiveHealth=false");
        using var entry = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{PlainEntryPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        await SwarmFixture.WaitForRotationAsync(entry, TimeSpan.FromSeconds(90));

        var kill = await RunAsync(PlainEntryPort, "kill-task (resilience off)", TimeSpan.FromSeconds(20), [new("docker kill one hostname task", TimeSpan.FromSeconds(5), KillOneTaskAsync)]);
        await SwarmFixture.WaitForRotationAsync(entry, TimeSpan.FromSeconds(90));
        var update = await RunAsync(PlainEntryPort, "rolling-update (resilience off)", TimeSpan.FromSeconds(40), [new("docker service update --force", TimeSpan.FromSeconds(2), ForceUpdateAsync)]);
        await WaitForUpdateAsync();
        await SwarmFixture.WaitForRotationAsync(entry, TimeSpan.FromSeconds(90));
        var scale = await RunAsync(PlainEntryPort, "scale-3-1-3 (resilience off)", TimeSpan.FromSeconds(20),
        [
            new("scale to 1", TimeSpan.FromSeconds(3), _ => SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 1)),
            new("scale to 3", TimeSpan.FromSeconds(10), _ => SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 3)),
        ]);
        await SwarmFixture.WaitForRotationAsync(entry, TimeSpan.FromSeconds(90));

        // The contrast is a measurement, not a promise: every request was answered or counted.
        Assert.All(new[] { kill, update, scale }, r => Assert.Equal(r.Requests, r.Responses + r.TransportErrors.Total));
    }

    private async Task<LoadReport> RunAsync(int port, string scenario, TimeSpan duration, IReadOnlyList<TimedAction> actions)
    {
        var report = await LoadRunner.RunAsync(new LoadOptions
        {
            Scenario = scenario,
            Target = new Uri($"http://127.0.0.1:{port}/"),
            Model = LoadModel.Open,
            RequestsPerSecond = Rate,
            Connections = 32,
            Warmup = TimeSpan.FromSeconds(2),
            Duration = duration,
            RequestTimeout = TimeSpan.FromSeconds(5),
            TrackHostNames = true,
            Actions = actions,
        });

        foreach (var action in report.Actions)
        {
            Assert.True(action.Succeeded, $"{action.Name} failed: {action.Error}");
        }

        var line = $"{scenario}: {report.Requests} requests, {report.Failures} failed (refused {report.TransportErrors.Refused}, reset {report.TransportErrors.Reset}, " +
                   $"timeout {report.TransportErrors.Timeout}, other {report.TransportErrors.Other}, 5xx {report.ServerErrors}), p99 {report.Latency.P99Ms:0.0} ms, max {report.Latency.MaxMs:0.0} ms";
        output.WriteLine(line);
        foreach (var sample in report.Timeline)
        {
            output.WriteLine($"  t={sample.ElapsedSeconds,5:0.0}s rps={sample.RequestsPerSecond,6:0} failures={sample.Failures} p99={sample.P99Ms,7:0.0} ms");
        }

        Timings.Record("churn: " + scenario, report.Latency.P99Ms, new { report.Requests, report.Failures, report.ServerErrors, report.TransportErrors, p99Ms = report.Latency.P99Ms, maxMs = report.Latency.MaxMs });
        return report;
    }

    private static async Task KillOneTaskAsync(CancellationToken ct)
    {
        var ids = (await Shell.DockerAsync("ps", "-q", "--filter", $"label=com.docker.swarm.service.name={SwarmFixture.HostnameService}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(ids);
        await Shell.DockerAsync("kill", ids[0]);
    }

    private static Task ForceUpdateAsync(CancellationToken ct) =>
        Shell.DockerAsync("service", "update", "--detach", "--force", SwarmFixture.HostnameService);

    private static Task WaitForUpdateAsync() =>
        Eventually.WaitAsync(
            () => Shell.DockerAsync("service", "inspect", SwarmFixture.HostnameService, "--format", "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{else}}none{{end}}"),
            state => state.Trim() is "completed" or "none" or "rollback_completed",
            TimeSpan.FromSeconds(120),
            "the rolling update to finish");
}
