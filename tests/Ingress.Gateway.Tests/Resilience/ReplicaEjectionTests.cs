using System.Diagnostics;
using System.Globalization;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using static Ingress.Testing.Eventually;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>
/// A replica ejected because it could not be reached comes back only once it can be: past the reactivation period it
/// stays out for as long as its packets go nowhere (a node powered off, not yet noticed by Swarm), without a single live
/// request spent on it, and returns within a second or so of answering again. On the relay and on the YARP pipeline.
/// </summary>
public sealed class ReplicaEjectionTests
{
    private static readonly TimeSpan Reactivation = TimeSpan.FromMilliseconds(500);

    /// <summary>A request that tried the silent replica first waits this long before it is retried on the other.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UnreachableReplica_StaysOutPastTheReactivationPeriod_UntilItCanBeReachedAgain(bool relay)
    {
        await using var gone = await TestBackend.StartAsync("a-gone", ip: "127.0.0.85");
        await using var good = await TestBackend.StartAsync("b-good", ip: "127.0.0.86");
        var settings = StaticRoutes.CatchAll([gone, good], LoadBalancingPolicies.FirstAlphabetical);
        settings["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture);
        settings["Ingress:Resilience:ReactivationPeriod"] = Reactivation.ToString();
        settings["Ingress:Resilience:ConnectTimeout"] = ConnectTimeout.ToString();
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        Assert.Equal("a-gone", await gateway.Public.GetStringAsync("/warm"));

        using (PacketDrop.To(gone.Ip, gone.Port))
        {
            Assert.Equal("b-good", await gateway.Public.GetStringAsync("/meets-the-silence"));
            await WaitUntilAsync(() => Passive(gateway, "a-gone") == DestinationHealth.Unhealthy, "the unreachable replica to be ejected");
            var retries = Retries(await gateway.Admin.GetStringAsync("/metrics"));

            // Four reactivation periods: YARP alone would have put it back in rotation, and requests would pay for it
            // with a connect timeout. The bound on a request's time sits well below that timeout, so that a loaded
            // machine's slowness is not mistaken for it.
            await Continually.HoldsAsync(async () =>
            {
                var request = Stopwatch.StartNew();
                var body = await gateway.Public.GetStringAsync("/while-gone");
                Assert.Equal("b-good", body);
                Assert.True(request.Elapsed < ConnectTimeout / 2, $"a request took {request.Elapsed}: it waited for the silent replica");
                return Passive(gateway, "a-gone") == DestinationHealth.Unhealthy;
            }, 4 * Reactivation, "the unreachable replica out of rotation");

            Assert.Equal(retries, Retries(await gateway.Admin.GetStringAsync("/metrics")));
        }

        await WaitUntilAsync(() => Passive(gateway, "a-gone") != DestinationHealth.Unhealthy, "the replica to come back once it answers");
        Assert.Equal("a-gone", await gateway.Public.GetStringAsync("/back"));
    }

    [Fact]
    public async Task RefusingReplica_ComesBackAfterTheReactivationPeriod_OnceItListensAgain()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b");
        var port = replicas[1].Port;
        var ip = replicas[1].Ip;
        var settings = StaticRoutes.CatchAll(replicas, LoadBalancingPolicies.RoundRobin);
        settings["Ingress:Resilience:ReactivationPeriod"] = Reactivation.ToString();
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        await replicas[1].DisposeAsync();

        await WaitUntilAsync(async () => (await gateway.Public.GetStringAsync("/")) == "a" && Passive(gateway, "b") == DestinationHealth.Unhealthy, "b, refusing, to be ejected");
        await Continually.HoldsAsync(() => Passive(gateway, "b") == DestinationHealth.Unhealthy, 3 * Reactivation, "b, still refusing, out of rotation");

        await using var back = await TestBackend.StartAsync("b", port, ip);
        await WaitUntilAsync(async () => (await gateway.Public.GetStringAsync("/")) == "b", "b to take requests again");
        await replicas[0].DisposeAsync();
    }

    private static DestinationHealth Passive(GatewayTestHost gateway, string destination)
    {
        Assert.True(gateway.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster("backends", out var cluster));
        return cluster.Destinations[destination].Health.Passive;
    }

    private static string Retries(string metrics) =>
        string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("ingress_retries_total", StringComparison.Ordinal)));
}
