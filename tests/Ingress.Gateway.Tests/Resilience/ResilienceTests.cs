using System.Net;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;
using static Ingress.Testing.Eventually;
using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Resilience;

public sealed class ResilienceTests
{
    [Fact]
    public async Task DeadDestination_WithResilienceOff_FailsItsShareOfRequestsWith502()
    {
        // Plain YARP round-robin: every request sent to a dead replica fails. This is the behaviour the defaults fix.
        var backends = await TestBackend.StartManyAsync("a", "b");
        var settings = WithDeadDestination(backends);
        settings["Ingress:Resilience:Retries"] = "false";
        settings["Ingress:Resilience:PassiveHealth"] = "false";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        var statuses = await StatusesAsync(gateway.Public, 9);

        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.BadGateway));
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.OK));
        await DisposeAll(backends);
    }

    [Fact]
    public async Task DeadDestination_ByDefault_IsRetriedThenEjected_AndClientsSeeNoFailure()
    {
        var backends = await TestBackend.StartManyAsync("a", "b");
        await using var gateway = await GatewayTestHost.StartAsync(WithDeadDestination(backends));

        var statuses = await StatusesAsync(gateway.Public, 30);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(15, backends[0].ServedCount);
        Assert.Equal(15, backends[1].ServedCount);
        var dead = Destination(gateway, "backends", "dead");
        Assert.Equal(DestinationHealth.Unhealthy, dead.Health.Passive);
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains("ingress_retries_total{service=\"backends\"} 1", metrics);
        await DisposeAll(backends);
    }

    [Fact]
    public async Task ConnectRefused_PostWithBody_IsRetriedBecauseNoByteWasSent()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = WithDeadDestination(backends);
        settings["Ingress:Resilience:PassiveHealth"] = "false";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        for (var i = 0; i < 4; i++)
        {
            using var response = await gateway.Public.PostAsync("/orders", new StringContent($"order-{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"order-{i}", backends[0].LastBody);
        }

        await DisposeAll(backends);
    }

    [Fact]
    public async Task ConnectTimeout_GetAndPost_AreRetriedAndTheSilentReplicaEjected()
    {
        var backends = await TestBackend.StartManyAsync("a");
        using var blackHole = new BlackHoleServer();
        var settings = StaticRoutes.CatchAll(backends);
        settings["ReverseProxy:Clusters:backends:Destinations:silent:Address"] = blackHole.Address;
        settings["Ingress:Resilience:ConnectTimeout"] = "00:00:00.300";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var get = await gateway.Public.GetAsync("/");
            using var post = await gateway.Public.PostAsync("/", new StringContent("x"));
            statuses.Add(get.StatusCode);
            statuses.Add(post.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(DestinationHealth.Unhealthy, Destination(gateway, "backends", "silent").Health.Passive);
        await DisposeAll(backends);
    }

    [Fact]
    public async Task ResetBeforeResponse_Get_IsRetried_Post_IsNot()
    {
        var good = await TestBackend.StartAsync("good", ip: "127.0.0.21");
        await using var resetting = new ResettingServer("127.0.0.22", good.Port);
        await using var gateway = await GatewayTestHost.StartAsync();

        // Two services, each with a resetting replica first in rotation and a good one. Passive health ejects the
        // resetting replica after one failure, so each method gets a service of its own.
        gateway.Sink.Publish(Snapshot("docker",
            Service("get", Labels("ingress.host=get.test", $"ingress.port={good.Port}"), [Task("a-resets", resetting.Ip, 1), Task("b-good", good.Ip, 2)], ageRank: 1),
            Service("post", Labels("ingress.host=post.test", $"ingress.port={good.Port}"), [Task("a-resets", resetting.Ip, 1), Task("b-good", good.Ip, 2)], ageRank: 2)));
        using (var get = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = "get.test" } })
        using (var response = await gateway.Public.SendAsync(get))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var post = new HttpRequestMessage(HttpMethod.Post, "/") { Headers = { Host = "post.test" }, Content = new StringContent("pay") })
        using (var response = await gateway.Public.SendAsync(post))
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        Assert.True(resetting.Accepted >= 2);
        await good.DisposeAsync();
    }

    [Fact]
    public async Task EveryReplicaDown_Answers503WithBodyAndRetryAfter()
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot("docker", Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{FreePort.Next()}"), [Task("t1", "127.0.0.31"), Task("t2", "127.0.0.32")])));

        // The first request finds both replicas dead (502); passive health then ejects them, asynchronously.
        using var first = await gateway.Public.GetAsync("/");
        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        HttpResponseMessage response = null!;
        await WaitUntilAsync(async () => (response = await gateway.Public.GetAsync("/")).StatusCode == HttpStatusCode.ServiceUnavailable, "503");
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Contains("no healthy replica of 'web'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OnlyReplicaResetsOneRequest_StaysInRotation_NextRequestsSucceed()
    {
        var replicas = await TestBackend.StartReplicasAsync("only");
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot("docker", Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}"), [Task("only", replicas[0].Ip)])));

        using var failed = await gateway.Public.GetAsync("/?abort=1");
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);

        for (var i = 0; i < 5; i++)
        {
            using var response = await gateway.Public.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.NotEqual(DestinationHealth.Unhealthy, Destination(gateway, "web/" + replicas[0].Port, "only").Health.Passive);
        await DisposeAll(replicas);
    }

    [Fact]
    public async Task OneOfTwoReplicasResets_IsEjected()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b");
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot("docker", Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}"),
            [Task("a", replicas[0].Ip, 1), Task("b", replicas[1].Ip, 2)])));

        // Round robin starts at "a"; its reset is retried on "b" (a bodiless GET), and "a" leaves rotation.
        using var first = await gateway.Public.GetAsync("/?abort=1");
        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);

        await WaitUntilAsync(() => System.Threading.Tasks.Task.FromResult(
            Destination(gateway, "web/" + replicas[0].Port, "a").Health.Passive == DestinationHealth.Unhealthy
            || Destination(gateway, "web/" + replicas[0].Port, "b").Health.Passive == DestinationHealth.Unhealthy), "one replica ejected");

        // The other one then failed as the last replica in rotation: a reset, so it stays.
        var ejected = new[] { "a", "b" }.Count(d => Destination(gateway, "web/" + replicas[0].Port, d).Health.Passive == DestinationHealth.Unhealthy);
        Assert.Equal(1, ejected);
        await DisposeAll(replicas);
    }

    [Fact]
    public async Task ClientCancels_DestinationIsNotMarkedUnhealthy()
    {
        var backends = await TestBackend.StartManyAsync("slow");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gateway.Public.GetAsync("/?delay=3000", cts.Token));

        await Continually.HoldsAsync(() => Destination(gateway, "backends", "slow").Health.Passive != DestinationHealth.Unhealthy, TimeSpan.FromMilliseconds(500), "the replica staying healthy after the client's cancel");
        Assert.Equal("slow", await gateway.Public.GetStringAsync("/"));
        await DisposeAll(backends);
    }

    [Fact]
    public async Task ActiveHealthCheck_FailingProbe_TakesReplicaOut_PassingProbeBringsItBack()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b");
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot("docker", Service("web",
            Labels($"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}", "ingress.healthcheck.path=/healthz", "ingress.healthcheck.interval=200ms", "ingress.healthcheck.timeout=1s"),
            [Task("a", replicas[0].Ip, 1), Task("b", replicas[1].Ip, 2)])));

        replicas[1].HealthStatus = 500;
        await WaitUntilAsync(async () => (await StatusesBodies(gateway.Public, 6)).All(b => b == "a"), "b to leave rotation");

        replicas[1].HealthStatus = 200;
        await WaitUntilAsync(async () => (await StatusesBodies(gateway.Public, 6)).Contains("b"), "b to return");
        await DisposeAll(replicas);
    }

    [Fact]
    public async Task ActiveHealthCheck_PathWithQueryString_ProbesThatPathAndQuery()
    {
        var replicas = await TestBackend.StartReplicasAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot("docker", Service("web",
            Labels($"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}", "ingress.healthcheck.path=/healthz?full=1", "ingress.healthcheck.interval=100ms"),
            [Task("a", replicas[0].Ip, 1)])));

        await WaitUntilAsync(() => System.Threading.Tasks.Task.FromResult(replicas[0].Requests.Any(r => r.RawTarget.StartsWith("/healthz", StringComparison.Ordinal))), "a probe");

        var probe = replicas[0].Requests.First(r => r.RawTarget.StartsWith("/healthz", StringComparison.Ordinal));
        Assert.Equal("/healthz?full=1", probe.RawTarget);
        await DisposeAll(replicas);
    }

    [Fact]
    public async Task TimeoutLabel_SlowReplica_Answers504()
    {
        var replicas = await TestBackend.StartReplicasAsync("slow");
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot("docker", Service("web",
            Labels($"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}", "ingress.timeout=300ms"), [Task("a", replicas[0].Ip)])));

        using var slow = await gateway.Public.GetAsync("/?delay=2000");
        using var fast = await gateway.Public.GetAsync("/");

        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
        await DisposeAll(replicas);
    }

    private static Dictionary<string, string?> WithDeadDestination(IEnumerable<TestBackend> backends)
    {
        var settings = StaticRoutes.CatchAll(backends);
        settings["ReverseProxy:Clusters:backends:Destinations:dead:Address"] = $"http://127.0.0.1:{FreePort.Next()}/";
        return settings;
    }

    private static DestinationState Destination(GatewayTestHost gateway, string cluster, string destination)
    {
        var lookup = gateway.Services.GetRequiredService<IProxyStateLookup>();
        Assert.True(lookup.TryGetCluster(cluster, out var state));
        return state.Destinations[destination];
    }

    private static async Task<List<HttpStatusCode>> StatusesAsync(HttpClient client, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync("/");
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    private static async Task<List<string>> StatusesBodies(HttpClient client, int count)
    {
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            bodies.Add(await client.GetStringAsync("/"));
        }

        return bodies;
    }

    private static async Task DisposeAll(IEnumerable<TestBackend> backends)
    {
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
