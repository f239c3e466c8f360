using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Xunit.Abstractions;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;
using static Ingress.Testing.Eventually;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>
/// A replica that goes silent on an open keep-alive connection, as when its node loses power (the kernel drops its packets:
/// no FIN, no RST), against one that is merely slow: end to end, on the relay and on the YARP pipeline. Replicas are picked
/// first-alphabetical, so the first request meets the replica that is to go silent.
/// </summary>
public sealed class SilentReplicaForwardingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, "GET")]
    [InlineData(true, "POST")]
    [InlineData(false, "GET")]
    [InlineData(false, "POST")]
    public async Task PooledConnection_ReplicaGoesSilent_RequestIsRetriedElsewhereWithinTheBound_AndTheReplicaEjected(bool relay, string method)
    {
        await using var silent = await TestBackend.StartAsync("a-silent", ip: "127.0.0.81");
        await using var good = await TestBackend.StartAsync("b-good", ip: "127.0.0.82");
        await using var gateway = await GatewayTestHost.StartAsync(Settings(relay, StaticRoutes.CatchAll([silent, good], LoadBalancingPolicies.FirstAlphabetical)));

        // The gateway keeps its connection to the first replica open for the next request.
        Assert.Equal("a-silent", await gateway.Public.GetStringAsync("/warm"));
        using (PacketDrop.To(silent.Ip, silent.Port))
        {
            var elapsed = Stopwatch.StartNew();
            using var response = method == "GET"
                ? await gateway.Public.GetAsync("/after")
                : await gateway.Public.PostAsync("/after", new StringContent("order-1"));
            elapsed.Stop();
            output.WriteLine($"relay={relay} {method}: {(int)response.StatusCode} after {elapsed.ElapsedMilliseconds} ms");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("b-good", await response.Content.ReadAsStringAsync());
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(3), $"took {elapsed.ElapsedMilliseconds} ms");
            if (method == "POST")
            {
                Assert.Equal("order-1", good.LastBody);
            }

            await WaitUntilAsync(() => Destination(gateway, "backends", "a-silent").Health.Passive == DestinationHealth.Unhealthy, "the silent replica to be ejected");
            Assert.Contains("ingress_retries_total{service=\"backends\"} 1", await gateway.Admin.GetStringAsync("/metrics"));

            // Ejected, it costs the next request nothing.
            elapsed.Restart();
            Assert.Equal("b-good", await gateway.Public.GetStringAsync("/next"));
            Assert.True(elapsed.Elapsed < TimeSpan.FromMilliseconds(500), $"the next request took {elapsed.ElapsedMilliseconds} ms");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LargeUpload_ReplicaReadingSlowlyWithItsWindowShut_IsNotTakenForSilent(bool relay)
    {
        // 1 MiB in, the replica stops reading for 2.5 s (2.5 times the timeout) with a full receive buffer, then takes the rest.
        await using var backend = new SlowReadingServer(pauseAfter: 1024 * 1024, pause: TimeSpan.FromMilliseconds(2500));
        await using var gateway = await GatewayTestHost.StartAsync(Settings(relay, StaticRoutes.CatchAll(backend.Address)));
        var body = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);

        using var response = await gateway.Public.PostAsync("/upload", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        output.WriteLine($"relay={relay}: {backend.QueuedEarlyInPause} bytes queued at the replica 0.5 s into its pause, {backend.QueuedAfterPause} at its end");
        Assert.True(backend.WindowShutDuringPause, $"the window was not shut for the pause: {backend.QueuedEarlyInPause}, then {backend.QueuedAfterPause} bytes queued");
        Assert.NotEqual(DestinationHealth.Unhealthy, Destination(gateway, "backends", "d0").Health.Passive);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PostAcknowledgedButNeverAnswered_Gets504AfterTheActivityTimeout_AndIsNotRetried(bool relay)
    {
        // The replica reads the request (its kernel acknowledges it) and never answers: slow, not silent.
        await using var hung = new ScriptedServer((_, index) => index == 0
            ? new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm")
            : new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate", DelayMs: 30_000), ip: "127.0.0.83");
        await using var good = await TestBackend.StartAsync("b-good", ip: "127.0.0.84");
        var settings = StaticRoutes.CatchAll([good], LoadBalancingPolicies.FirstAlphabetical);
        settings["ReverseProxy:Clusters:backends:Destinations:a-hung:Address"] = hung.Address;
        settings["Ingress:Resilience:RequestTimeout"] = "00:00:02.500";
        await using var gateway = await GatewayTestHost.StartAsync(Settings(relay, settings));
        Assert.Equal("warm", await gateway.Public.GetStringAsync("/warm"));

        var elapsed = Stopwatch.StartNew();
        using var response = await gateway.Public.PostAsync("/pay", new StringContent("pay-1"));
        elapsed.Stop();
        output.WriteLine($"relay={relay}: {(int)response.StatusCode} after {elapsed.ElapsedMilliseconds} ms");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(2.3), $"failed after {elapsed.ElapsedMilliseconds} ms, before the activity timeout");
        Assert.Equal(2, hung.Requests.Count);
        Assert.Equal(0, good.ServedCount);
        Assert.NotEqual(DestinationHealth.Unhealthy, Destination(gateway, "backends", "a-hung").Health.Passive);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SilentPooledReplica_ThenAnUnreachableOne_TheThirdAttemptServes_WithinBothTimeouts(bool relay)
    {
        // A silent pooled connection (1 s), then a replica whose connect times out (1 s), then a good one: no hang, and
        // bounded by MaxAttempts (3).
        await using var silent = await TestBackend.StartAsync("a-silent", ip: "127.0.0.85");
        using var dead = new BlackHoleServer();
        await using var good = await TestBackend.StartAsync("c-good", ip: "127.0.0.86");
        var settings = StaticRoutes.CatchAll([silent, good], LoadBalancingPolicies.FirstAlphabetical);
        settings["ReverseProxy:Clusters:backends:Destinations:b-dead:Address"] = dead.Address;
        await using var gateway = await GatewayTestHost.StartAsync(Settings(relay, settings));
        Assert.Equal("a-silent", await gateway.Public.GetStringAsync("/warm"));

        using (PacketDrop.To(silent.Ip, silent.Port))
        {
            var elapsed = Stopwatch.StartNew();
            using var response = await gateway.Public.PostAsync("/after", new StringContent("order-2"));
            elapsed.Stop();
            output.WriteLine($"relay={relay}: {(int)response.StatusCode} after {elapsed.ElapsedMilliseconds} ms");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("c-good", await response.Content.ReadAsStringAsync());
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(3.5), $"took {elapsed.ElapsedMilliseconds} ms");
            Assert.Contains("ingress_retries_total{service=\"backends\"} 2", await gateway.Admin.GetStringAsync("/metrics"));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SilentReplica_MaxAttemptsOne_FailsFastWith502_NotAfterTheActivityTimeout(bool relay)
    {
        // Without retries the silent replica still costs the timeout, not the minute of the activity timeout.
        await using var silent = await TestBackend.StartAsync("a-silent", ip: "127.0.0.87");
        var settings = StaticRoutes.CatchAll([silent]);
        settings["Ingress:Resilience:MaxAttempts"] = "1";
        await using var gateway = await GatewayTestHost.StartAsync(Settings(relay, settings));
        Assert.Equal("a-silent", await gateway.Public.GetStringAsync("/warm"));

        using (PacketDrop.To(silent.Ip, silent.Port))
        {
            var elapsed = Stopwatch.StartNew();
            using var response = await gateway.Public.GetAsync("/after");

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(3), $"took {elapsed.ElapsedMilliseconds} ms");
        }
    }

    private static Dictionary<string, string?> Settings(bool relay, Dictionary<string, string?> settings)
    {
        settings["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture);
        return settings;
    }

    private static DestinationState Destination(GatewayTestHost gateway, string cluster, string destination)
    {
        var lookup = gateway.Services.GetRequiredService<IProxyStateLookup>();
        Assert.True(lookup.TryGetCluster(cluster, out var state));
        return state.Destinations[destination];
    }
}
