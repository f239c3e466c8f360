using System.Collections.Concurrent;
using System.Net;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Tests.Common;
using static Ingress.Gateway.Tests.Common.Swarm;
using static Ingress.Gateway.Tests.Proxy.RouteRedirectTests;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// <c>ingress.weight</c> on the real gateway through the discovery path, relay on and off: two services declaring the same
/// rule split its requests by their weights, measured at real Kestrel replicas on loopback, whatever each one's scale.
/// </summary>
public sealed class WeightedCanaryTests
{
    private const int Requests = 10_000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Split_90_10_Over10000Requests_IsWithinTwoPercent_AndKeepsItsWeightsThroughScaling(bool relay)
    {
        var stable = await TestBackend.StartReplicasAsync("stable-1", "stable-2", "stable-3");
        var canary = await TestBackend.StartReplicasAsync("canary-1", "canary-2", "canary-3");
        await using var gateway = await GatewayTestHost.StartAsync(RelaySetting(relay));
        var entry = gateway.EntryPorts[0];
        try
        {
            // One stable replica, three canary ones: weights are per service, so the canary's scale does not raise its share.
            Publish(gateway, stable[..1], canary);
            var first = await CountAsync(gateway.Public, Requests);
            AssertShare(first, "canary", 0.10);
            Assert.All(canary, c => Assert.InRange(c.ServedCount, 1, Requests));

            // Scaled the other way round.
            Publish(gateway, stable, canary[..1]);
            var second = await CountAsync(gateway.Public, Requests);
            AssertShare(second, "canary", 0.10);
            Assert.All(stable, s => Assert.True(s.ServedCount > 0, $"{s.Name} served nothing"));

            var state = await gateway.Admin.GetStringAsync("/api/state");
            Assert.Contains("\"name\":\"ingress.weights\",\"value\":\"web=90,web-canary=10\"", state);
            if (relay)
            {
                // The relay does not split by weight: it hands the route to YARP, as for any cluster whose policy it lacks.
                var metrics = await gateway.Admin.GetStringAsync("/metrics");
                Assert.Matches($"ingress_relay_handoffs_total\\{{entrypoint=\"{entry}\",reason=\"cluster\"\\}} [1-9]", metrics);
            }
        }
        finally
        {
            await DisposeAll([.. stable, .. canary]);
        }

        void Publish(GatewayTestHost host, TestBackend[] stableTasks, TestBackend[] canaryTasks) => host.Sink.Publish(Snapshot("docker",
            Service("web", Labels($"ingress.publish={entry}:{stable[0].Port}", "ingress.weight=90"), Tasks("s", stableTasks), ageRank: 1),
            Service("web-canary", Labels($"ingress.publish={entry}:{canary[0].Port}", "ingress.weight=10"), Tasks("c", canaryTasks), ageRank: 2)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WeightZero_DarkLaunch_GetsNoRequest(bool relay)
    {
        var live = await TestBackend.StartReplicasAsync("live");
        var dark = await TestBackend.StartReplicasAsync("dark");
        await using var gateway = await GatewayTestHost.StartAsync(RelaySetting(relay));
        try
        {
            gateway.Sink.Publish(Snapshot("docker",
                Service("web", Labels("ingress.host=shop.test", $"ingress.port={live[0].Port}", "ingress.weight=100"), Tasks("l", live), ageRank: 1),
                Service("web-next", Labels("ingress.host=shop.test", $"ingress.port={dark[0].Port}", "ingress.weight=0"), Tasks("d", dark), ageRank: 2)));

            var counts = await CountAsync(gateway.Public, 300, host: "shop.test");

            Assert.Equal(300, counts.GetValueOrDefault("live"));
            Assert.Equal(0, dark[0].ServedCount);
        }
        finally
        {
            await DisposeAll([.. live, .. dark]);
        }
    }

    [Fact]
    public async Task CanaryReplicaDown_ItsRequestsAreRetriedOnTheOtherService_NoneFails()
    {
        var stable = await TestBackend.StartReplicasAsync("stable");
        var canary = await TestBackend.StartReplicasAsync("canary");
        await using var gateway = await GatewayTestHost.StartAsync(RelaySetting(true));
        try
        {
            gateway.Sink.Publish(Snapshot("docker",
                Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{stable[0].Port}", "ingress.weight=50"), Tasks("s", stable), ageRank: 1),
                Service("web-canary", Labels($"ingress.publish={gateway.EntryPorts[0]}:{canary[0].Port}", "ingress.weight=50"), Tasks("c", canary), ageRank: 2)));
            await canary[0].DisposeAsync();

            var counts = await CountAsync(gateway.Public, 200);

            Assert.Equal(200, counts.GetValueOrDefault("stable"));
        }
        finally
        {
            await DisposeAll(stable);
        }
    }

    private static SwarmTask[] Tasks(string prefix, TestBackend[] replicas) =>
        [.. replicas.Select((r, i) => Task($"{prefix}-{r.Name}", r.Ip, i + 1))];

    private static void AssertShare(Dictionary<string, int> counts, string service, double expected)
    {
        var total = counts.Values.Sum();
        var share = counts.Where(c => c.Key.StartsWith(service, StringComparison.Ordinal)).Sum(c => c.Value) / (double)total;
        Assert.Equal(Requests, total);
        Assert.InRange(share, expected - 0.02, expected + 0.02);
    }

    /// <summary>Sends <paramref name="count"/> GETs, eight at a time, and counts the answers by replica name; every one must be a 200.</summary>
    private static async Task<Dictionary<string, int>> CountAsync(HttpClient client, int count, string? host = null)
    {
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var next = 0;
        await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                if (host is not null)
                {
                    request.Headers.Host = host;
                }

                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                counts.AddOrUpdate(await response.Content.ReadAsStringAsync(), 1, (_, n) => n + 1);
            }
        }));
        return new Dictionary<string, int>(counts, StringComparer.Ordinal);
    }

    private static async Task DisposeAll(IEnumerable<TestBackend> backends)
    {
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
