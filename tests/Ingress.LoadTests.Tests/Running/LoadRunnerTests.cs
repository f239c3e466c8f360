using Ingress.LoadTests.Measurement;
using Ingress.LoadTests.Running;
using Ingress.LoadTests.Tests.Infrastructure;
using Ingress.LoadTests.Thresholds;
using Microsoft.AspNetCore.Http;

namespace Ingress.LoadTests.Tests.Running;

/// <summary>Short runs against real Kestrel servers on loopback.</summary>
[Collection(LoadCollection.Name)]
public sealed class LoadRunnerTests
{
    [Fact]
    public async Task RunAsync_ClosedAgainstHealthyServer_CountsEveryResponseWithoutErrors()
    {
        await using var server = await TestServer.StartNamedAsync("solo");
        var samples = new List<IntervalSample>();

        var report = await LoadRunner.RunAsync(Options("closed", server.Url) with
        {
            Connections = 4,
            Duration = TimeSpan.FromSeconds(1.2),
            OnInterval = samples.Add,
        });

        Assert.True(report.Responses > 100, $"only {report.Responses} responses");
        Assert.Equal(report.Responses, report.Requests);
        Assert.Equal(0, report.Failures);
        Assert.Equal(report.Responses, report.StatusCodes[200]);
        Assert.Equal(report.Responses, report.Latency.Count);
        Assert.InRange(report.DurationSeconds, 1.2, 3);
        Assert.InRange(report.RequestsPerSecond, report.Responses / 3.0, report.Responses / 1.2);
        Assert.True(report.Latency.P50Ms > 0);
        Assert.True(report.Latency.P50Ms <= report.Latency.P99Ms && report.Latency.P99Ms <= report.Latency.MaxMs);
        Assert.Null(report.HostNames);
        Assert.Contains(samples, s => s.IsWarmup);
        // One full second, then the last 0.2 s as a partial interval.
        Assert.Equal(2, report.Timeline.Count);
        Assert.InRange(report.Timeline[^1].ElapsedSeconds, 1.2, 3);
        Assert.Equal(report.Responses, report.Timeline.Sum(s => s.Responses));
        Assert.All(report.Timeline, s => Assert.False(s.IsWarmup));
    }

    [Fact]
    public async Task RunAsync_OpenModel_SendsExactlyTheScheduledRequests()
    {
        await using var server = await TestServer.StartNamedAsync("solo");

        var report = await LoadRunner.RunAsync(Options("open", server.Url) with
        {
            Model = LoadModel.Open,
            RequestsPerSecond = 200,
            Connections = 8,
            Duration = TimeSpan.FromSeconds(1.5),
        });

        Assert.Equal(300, report.Requests);
        Assert.Equal(0, report.Failures);
        Assert.Equal(200, report.TargetRequestsPerSecond);
        Assert.InRange(report.RequestsPerSecond, 150, 205);
    }

    [Fact]
    public async Task RunAsync_OpenModelAgainstASlowServer_ChargesQueueingFromTheIntendedSendTime()
    {
        // 40 ms per request on one connection serves 25/s; asking for 40/s builds a queue.
        await using var server = await TestServer.StartAsync(async context =>
        {
            await Task.Delay(40, context.RequestAborted);
            await context.Response.WriteAsync("slow", context.RequestAborted);
        });
        var slow = Options("open", server.Url) with { Connections = 1, Duration = TimeSpan.FromSeconds(1), Warmup = TimeSpan.Zero };

        var open = await LoadRunner.RunAsync(slow with { Model = LoadModel.Open, RequestsPerSecond = 40 });
        var closed = await LoadRunner.RunAsync(slow);

        // Closed-loop latency only sees the service time; the open model sees the queue behind it.
        // (The median, not the tail: on a loaded CI machine a few closed-loop requests can be slow too.)
        Assert.InRange(closed.Latency.P50Ms, 40, 150);
        Assert.Equal(40, open.Requests);
        Assert.True(open.Latency.P50Ms > 150, $"open p50 {open.Latency.P50Ms} ms does not include queueing");
        Assert.True(open.Latency.MaxMs > 400, $"open max {open.Latency.MaxMs} ms does not include queueing");
    }

    [Fact]
    public async Task RunAsync_HostnameRotationBehindRoundRobin_SeesAllThreeReplicasEvenly()
    {
        await using var proxy = await RoundRobinProxy.StartAsync("replica-1", "replica-2", "replica-3");

        var report = await LoadRunner.RunAsync(Options("hostname-rotation", proxy.Url) with
        {
            Connections = 6,
            Duration = TimeSpan.FromSeconds(1.2),
            TrackHostNames = true,
        });

        Assert.Equal(0, report.Failures);
        Assert.Equal(["replica-1", "replica-2", "replica-3"], report.HostNames!.Keys);
        Assert.Equal(report.Responses, report.HostNames.Values.Sum());
        Assert.True(report.Responses > 60, $"only {report.Responses} responses");
        Assert.InRange(report.HostImbalance!.Value, 0, 0.05);
        var verdict = ThresholdEvaluator.Evaluate(report, new LoadThresholds { ExpectHosts = 3, MaxHostImbalance = 0.05, MaxFailures = 0 });
        Assert.True(ThresholdEvaluator.AllPassed(verdict));
    }

    [Fact]
    public async Task RunAsync_ServerStoppedMidRun_CountsTransportErrorsAndBreachesMaxFailures()
    {
        var server = await TestServer.StartNamedAsync("doomed");
        await using var _ = server;

        var report = await LoadRunner.RunAsync(Options("kill-replica", server.Url) with
        {
            Connections = 4,
            Duration = TimeSpan.FromSeconds(1.5),
            RequestTimeout = TimeSpan.FromSeconds(1),
            Actions = [new TimedAction("stop server", TimeSpan.FromSeconds(0.5), _ => server.StopAsync())],
        });

        Assert.True(report.Responses > 0, "no responses before the stop");
        Assert.True(report.TransportErrors.Total > 0, "no transport errors after the stop");
        Assert.True(report.TransportErrors.Refused > 0, $"expected refused connections, got {report.TransportErrors}");
        var action = Assert.Single(report.Actions);
        Assert.True(action.Succeeded, action.Error);
        Assert.InRange(action.StartedAtSeconds!.Value, 0.45, 1.0);
        Assert.Contains(report.Timeline, s => s.Failures > 0);

        var verdict = Assert.Single(ThresholdEvaluator.Evaluate(report, new LoadThresholds { MaxFailures = 0 }));
        Assert.False(verdict.Passed);
        Assert.Equal(report.Failures, verdict.Actual);
    }

    [Fact]
    public async Task RunAsync_ActionThatThrows_IsReportedAndLoadCarriesOn()
    {
        await using var server = await TestServer.StartNamedAsync("steady");

        var report = await LoadRunner.RunAsync(Options("flaky-action", server.Url) with
        {
            Connections = 2,
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.Zero,
            Actions = [new TimedAction("explode", TimeSpan.FromSeconds(0.2), _ => throw new InvalidOperationException("boom"))],
        });

        Assert.Equal(0, report.Failures);
        Assert.True(report.Responses > 50);
        Assert.Equal("InvalidOperationException: boom", Assert.Single(report.Actions).Error);
    }

    [Fact]
    public async Task RunAsync_MaxRequests_StopsAtTheCap()
    {
        await using var server = await TestServer.StartNamedAsync("capped");

        var report = await LoadRunner.RunAsync(Options("capped", server.Url) with
        {
            Connections = 4,
            Duration = TimeSpan.FromSeconds(30),
            Warmup = TimeSpan.Zero,
            MaxRequests = 250,
        });

        Assert.Equal(250, report.Requests);
        Assert.True(report.DurationSeconds < 10);
    }

    [Fact]
    public async Task RunAsync_Cancelled_ThrowsPromptly()
    {
        await using var server = await TestServer.StartNamedAsync("cancel");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            LoadRunner.RunAsync(Options("cancel", server.Url) with { Connections = 2, Duration = TimeSpan.FromSeconds(30) }, cancellation.Token));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task RunAsync_KeepAliveOff_StillServesEveryRequest()
    {
        await using var server = await TestServer.StartNamedAsync("fresh-connections");

        var report = await LoadRunner.RunAsync(Options("closed", server.Url) with
        {
            Connections = 2,
            KeepAlive = false,
            Duration = TimeSpan.FromSeconds(0.8),
            Warmup = TimeSpan.Zero,
        });

        Assert.True(report.Responses > 20);
        Assert.Equal(0, report.Failures);
    }

    private static LoadOptions Options(string scenario, Uri target) => new()
    {
        Scenario = scenario,
        Target = target,
        Warmup = TimeSpan.FromSeconds(0.3),
    };
}
