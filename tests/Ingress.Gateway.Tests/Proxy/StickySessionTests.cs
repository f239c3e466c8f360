using System.Net;
using Ingress.Gateway.Tests.Common;
using static Ingress.Gateway.Tests.Common.Swarm;
using static Ingress.Gateway.Tests.Proxy.RouteRedirectTests;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// <c>ingress.sticky</c> on the real gateway, relay on and off, with real Kestrel replicas on loopback: a cookie-keeping
/// client stays on one replica, and when that replica stops, resets or leaves discovery, the very request that finds it
/// gone succeeds on another replica and carries the cookie for it, and the client stays there.
/// </summary>
public sealed class StickySessionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sticky_ManyRequests_AllGoToTheReplicaOfTheFirst(bool relay)
    {
        await using var swarm = await StickySwarm.StartAsync(relay);
        using var client = swarm.NewClient();

        var first = await swarm.GetAsync(client);

        Assert.NotNull(first.SetCookie);
        for (var i = 0; i < 30; i++)
        {
            var next = await swarm.GetAsync(client);
            Assert.Equal(first.Replica, next.Replica);
            Assert.Null(next.SetCookie);
        }
    }

    [Fact]
    public async Task Sticky_TwoClients_AreSpreadOverReplicas_AndEachSticks()
    {
        await using var swarm = await StickySwarm.StartAsync(relay: true);
        using var one = swarm.NewClient();
        using var two = swarm.NewClient();

        // Round robin gives the two first requests two replicas; each client then keeps its own.
        var first = (await swarm.GetAsync(one)).Replica;
        var second = (await swarm.GetAsync(two)).Replica;

        Assert.NotEqual(first, second);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(first, (await swarm.GetAsync(one)).Replica);
            Assert.Equal(second, (await swarm.GetAsync(two)).Replica);
        }
    }

    [Fact]
    public async Task Sticky_CookieLabels_AreTheCookieTheClientGets()
    {
        await using var swarm = await StickySwarm.StartAsync(relay: true, "ingress.sticky.cookie=route", "ingress.sticky.samesite=strict", "ingress.sticky.httponly=false");
        using var client = swarm.NewClient();

        var first = await swarm.GetAsync(client);

        Assert.NotNull(first.SetCookie);
        Assert.StartsWith("route=", first.SetCookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", first.SetCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("httponly", first.SetCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", first.SetCookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Relay_StickyService_IsHandedToYarpAsPolicy_AndStateShowsTheAffinity()
    {
        await using var swarm = await StickySwarm.StartAsync(relay: true, "ingress.sticky.cookie=route");
        using var client = swarm.NewClient();

        await swarm.GetAsync(client);
        var metrics = await swarm.Gateway.Admin.GetStringAsync("/metrics");
        var state = await swarm.Gateway.Admin.GetStringAsync("/api/state");

        Assert.Contains($"ingress_relay_handoffs_total{{entrypoint=\"{swarm.Gateway.EntryPorts[0]}\",reason=\"policy\"}} 1", metrics);
        Assert.Contains("\"name\":\"sessionAffinity\",\"value\":\"HashCookie cookie=route\"", state);
    }

    [Theory]
    [InlineData(true, Loss.Stopped)]
    [InlineData(false, Loss.Stopped)]
    [InlineData(true, Loss.Resets)]
    [InlineData(false, Loss.Resets)]
    [InlineData(true, Loss.Drained)]
    [InlineData(false, Loss.Drained)]
    public async Task StickyReplicaLost_NoRequestFails_ClientGetsNewCookie_AndSticksToTheNewReplica(bool relay, Loss loss)
    {
        await using var swarm = await StickySwarm.StartAsync(relay);
        using var client = swarm.NewClient();
        var before = await swarm.GetAsync(client);
        await using var resetting = await swarm.LoseAsync(before.Replica, loss);

        var moved = await swarm.GetAsync(client);

        Assert.NotEqual(before.Replica, moved.Replica);
        Assert.NotNull(moved.SetCookie);
        Assert.NotEqual(before.SetCookie, moved.SetCookie);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(moved.Replica, (await swarm.GetAsync(client)).Replica);
        }
    }

    public enum Loss
    {
        /// <summary>The replica's server stops: connections are refused.</summary>
        Stopped,

        /// <summary>The replica's address accepts and resets every connection before answering.</summary>
        Resets,

        /// <summary>The task leaves discovery (scaled down, or drained off its node).</summary>
        Drained,
    }

    /// <param name="Replica">The replica's name, from its answer.</param>
    /// <param name="SetCookie">The sticky cookie the response set, or null.</param>
    private sealed record Answer(string Replica, string? SetCookie);

    /// <summary>A gateway and a sticky service of three replicas on one port of 127.0.0.2-4.</summary>
    private sealed class StickySwarm(GatewayTestHost gateway, TestBackend[] replicas, string[] labels) : IAsyncDisposable
    {
        public GatewayTestHost Gateway => gateway;

        private readonly HashSet<string> _gone = [];
        private readonly HashSet<TestBackend> _stopped = [];

        public static async Task<StickySwarm> StartAsync(bool relay, params string[] labels)
        {
            var replicas = await TestBackend.StartReplicasAsync("a", "b", "c");
            var gateway = await GatewayTestHost.StartAsync(RelaySetting(relay));
            var swarm = new StickySwarm(gateway, replicas, [$"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}", "ingress.sticky=true", .. labels]);
            swarm.Publish();
            return swarm;
        }

        public HttpClient NewClient() => new(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{gateway.EntryPorts[0]}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };

        public async Task<Answer> GetAsync(HttpClient client)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var cookie = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Single() : null;
            return new Answer(await response.Content.ReadAsStringAsync(), cookie);
        }

        /// <summary>Takes <paramref name="name"/> away as <paramref name="loss"/> says; returns what stands at its address meanwhile.</summary>
        public async Task<IAsyncDisposable> LoseAsync(string name, Loss loss)
        {
            var replica = replicas.Single(r => r.Name == name);
            if (loss == Loss.Drained)
            {
                _gone.Add(name);
                Publish();
                return NoServer.Instance;
            }

            _stopped.Add(replica);
            await replica.DisposeAsync();
            return loss == Loss.Resets ? new ResettingServer(replica.Ip, replica.Port) : NoServer.Instance;
        }

        private void Publish() => gateway.Sink.Publish(Snapshot("docker", Service("web", Labels(labels),
            [.. replicas.Where(r => !_gone.Contains(r.Name)).Select((r, i) => Task("task-" + r.Name, r.Ip, i + 1))])));

        public async ValueTask DisposeAsync()
        {
            await gateway.DisposeAsync();
            foreach (var replica in replicas.Where(r => !_stopped.Contains(r)))
            {
                await replica.DisposeAsync();
            }
        }
    }

    private sealed class NoServer : IAsyncDisposable
    {
        public static readonly NoServer Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
