using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Hosting;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Discovery.Control;

/// <summary>
/// The control channel between real gateways on loopback: a follower routes exactly as its manager gateway, learns a
/// change within a second, keeps the last state while no manager answers and resyncs when one does, moves to another
/// manager, and refuses whatever it cannot verify.
/// </summary>
public sealed class ControlChannelTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly ControlGateways _gateways = new();

    public void Dispose() => _gateways.Dispose();

    private static DiscoverySnapshot Listing(TestBackend[] replicas, params SwarmService[] more) => Swarm.Snapshot(
        "docker",
        [Swarm.Service("ingress_web", Swarm.Labels("ingress.host=web.test", $"ingress.port={replicas[0].Port}"),
            replicas.Select((r, i) => Swarm.Task("task-" + r.Name, r.Ip, i + 1))), .. more]);

    private static SwarmService Broken() =>
        Swarm.Service("ingress_broken", Swarm.Labels("ingress.host=broken.test", "ingress.port=80", "ingress.lb=fastest"), [Swarm.Task("t-broken")], ageRank: 1);

    private static RouteTable Table(GatewayTestHost gateway) => gateway.Services.GetRequiredService<DiscoveryReconciler>().Table;

    private static int Tasks(GatewayTestHost gateway, string service) =>
        Table(gateway).Services.FirstOrDefault(s => s.Service.Name == service)?.Service.Tasks.Length ?? -1;

    private static async Task<List<string>> GetAsync(GatewayTestHost gateway, string host, int count)
    {
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = host } };
            using var response = await gateway.Public.SendAsync(request);
            bodies.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return bodies;
    }

    /// <summary>Exact round robin over <paramref name="names"/>, from whichever replica it starts at.</summary>
    private static void AssertRotation(IReadOnlyList<string> bodies, params string[] names)
    {
        var expected = names.Select(n => "200 " + n).ToHashSet();
        Assert.True(bodies.Take(names.Length).ToHashSet().SetEquals(expected), $"not one of each of {string.Join(",", names)}: {string.Join(", ", bodies)}");
        for (var i = names.Length; i < bodies.Count; i++)
        {
            Assert.Equal(bodies[i - names.Length], bodies[i]);
        }
    }

    private static async Task<JsonElement> StateAsync(GatewayTestHost gateway) =>
        JsonDocument.Parse(await gateway.Admin.GetStringAsync("/api/state")).RootElement;

    [Fact]
    public async Task Follower_RoutesExactlyAsItsManager_ValidAndInvalidServicesAlike()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b", "c");
        var (manager, port) = await _gateways.StartManagerAsync();
        await using var owned = manager;
        manager.Sink.Publish(Listing(replicas, Broken()));
        await using var follower = await _gateways.StartFollowerAsync($"127.0.0.1:{port}");

        await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == 3, Patience, "the follower to route ingress_web");

        AssertRotation(await GetAsync(follower, "web.test", 6), "a", "b", "c");
        var managerView = Table(manager).Services.Select(s => (s.Service.Name, s.Status, string.Join(";", s.Errors), s.Service.Tasks.Length));
        var followerView = Table(follower).Services.Select(s => (s.Service.Name, s.Status, string.Join(";", s.Errors), s.Service.Tasks.Length));
        Assert.Equal(managerView, followerView);
        Assert.Contains(followerView, s => s.Name == "ingress_broken" && s.Status == ServiceRouteStatus.Invalid && s.Item3.Contains("ingress.lb", StringComparison.Ordinal));

        var state = await StateAsync(follower);
        Assert.True(state.GetProperty("ready").GetBoolean());
        var control = state.GetProperty("control");
        Assert.Equal("follower", control.GetProperty("role").GetString());
        Assert.True(control.GetProperty("connected").GetBoolean());
        Assert.Equal($"127.0.0.1:{port}", control.GetProperty("following").GetString());
        Assert.Equal("managers", state.GetProperty("sources")[0].GetProperty("source").GetString());

        var managerControl = (await StateAsync(manager)).GetProperty("control");
        Assert.Equal("manager", managerControl.GetProperty("role").GetString());
        await Eventually.WaitAsync(async () => (await StateAsync(manager)).GetProperty("control").GetProperty("followers").GetInt32() == 1, Patience, "the manager to count its follower");
        Assert.Contains("ingress_control_following 1", await follower.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);

        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }

    [Fact]
    public async Task Follower_LearnsEveryChange_WithinASecondOfItsManager()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b", "c");
        var (manager, port) = await _gateways.StartManagerAsync();
        await using var owned = manager;
        manager.Sink.Publish(Listing(replicas));
        await using var follower = await _gateways.StartFollowerAsync($"127.0.0.1:{port}");
        await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == 3, Patience, "the follower to route ingress_web");

        var lags = new List<TimeSpan>();
        for (var round = 0; round < 6; round++)
        {
            var expected = round % 2 == 0 ? 2 : 3;
            var clock = Stopwatch.StartNew();
            manager.Sink.Publish(Listing(replicas[..expected]));
            await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == expected, Patience, $"{expected} tasks on the follower", TimeSpan.FromMilliseconds(2));
            lags.Add(clock.Elapsed);
        }

        Assert.All(lags, lag => Assert.True(lag < TimeSpan.FromSeconds(1), $"propagation took {lag.TotalMilliseconds:0} ms: {string.Join(", ", lags.Select(l => l.TotalMilliseconds.ToString("0")))}"));
        AssertRotation(await GetAsync(follower, "web.test", 6), "a", "b", "c");
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }

    [Fact]
    public async Task ManagerGone_FollowerKeepsServingTheLastState_SaysSo_AndResyncsWhenOneIsBack()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b", "c");
        var (manager, port) = await _gateways.StartManagerAsync();
        manager.Sink.Publish(Listing(replicas));
        await using var follower = await _gateways.StartFollowerAsync($"127.0.0.1:{port}");
        await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == 3, Patience, "the follower to route ingress_web");

        await manager.DisposeAsync();

        var lost = await Eventually.WaitAsync(async () => await StateAsync(follower), s => !s.GetProperty("control").GetProperty("connected").GetBoolean(), Patience, "the follower to say it follows no manager");
        Assert.Equal("failing", lost.GetProperty("sources")[0].GetProperty("state").GetString());
        Assert.Contains("no manager gateway answers", lost.GetProperty("sources")[0].GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.True(lost.GetProperty("ready").GetBoolean());
        Assert.Contains("ingress_control_following 0", await follower.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        AssertRotation(await GetAsync(follower, "web.test", 6), "a", "b", "c");

        // A manager gateway comes back (a new process: another epoch) with a changed swarm.
        var (back, _) = await _gateways.StartManagerAsync(port);
        await using var backOwned = back;
        back.Sink.Publish(Listing(replicas[..2]));

        await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == 2, Patience, "the follower to resync");
        var resynced = await Eventually.WaitAsync(async () => await StateAsync(follower), s => s.GetProperty("control").GetProperty("connected").GetBoolean(), Patience, "connected again");
        Assert.Equal("up", resynced.GetProperty("sources")[0].GetProperty("state").GetString());
        AssertRotation(await GetAsync(follower, "web.test", 4), "a", "b");
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }

    [Fact]
    public async Task Follower_MovesToAnotherManager_WhenItsManagerGoes()
    {
        var replicas = await TestBackend.StartReplicasAsync("a", "b", "c");
        var (first, firstPort) = await _gateways.StartManagerAsync();
        var (second, secondPort) = await _gateways.StartManagerAsync();
        await using var owned = second;
        first.Sink.Publish(Listing(replicas));
        second.Sink.Publish(Listing(replicas));
        await using var follower = await _gateways.StartFollowerAsync($"127.0.0.1:{firstPort},127.0.0.1:{secondPort}");
        await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == 3, Patience, "the follower to route ingress_web");
        var followed = (await StateAsync(follower)).GetProperty("control").GetProperty("following").GetString();
        var (gone, stays) = followed == $"127.0.0.1:{firstPort}" ? (first, second) : (second, first);

        await gone.DisposeAsync();
        stays.Sink.Publish(Listing(replicas[..1]));

        await Eventually.WaitAsync(() => Tasks(follower, "ingress_web") == 1, Patience, "the follower to follow the other manager");
        var state = (await StateAsync(follower)).GetProperty("control");
        Assert.True(state.GetProperty("connected").GetBoolean());
        Assert.NotEqual(followed, state.GetProperty("following").GetString());
        await first.DisposeAsync();
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }
    }

    [Fact]
    public async Task Follower_WithAnotherToken_IsRefused_AndRoutesNothing()
    {
        var replicas = await TestBackend.StartReplicasAsync("a");
        var (manager, port) = await _gateways.StartManagerAsync();
        await using var owned = manager;
        manager.Sink.Publish(Listing(replicas));
        var otherToken = ControlGateways.NewTokenFile();
        try
        {
            await using var follower = await _gateways.StartFollowerAsync($"127.0.0.1:{port}", otherToken);

            var state = await Eventually.WaitAsync(async () => await StateAsync(follower), s => s.GetProperty("control").GetProperty("lastError").GetString()?.Contains("refused", StringComparison.Ordinal) == true, Patience, "the follower to be refused");
            Assert.False(state.GetProperty("ready").GetBoolean());
            Assert.Empty(state.GetProperty("services").EnumerateArray());
            Assert.Equal(-1, Tasks(follower, "ingress_web"));
            Assert.Contains("ingress_control_refused_total{reason=\"unauthorized\"}", await manager.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(otherToken);
            await replicas[0].DisposeAsync();
        }
    }

    [Fact]
    public async Task UnsignedOrForeignRequest_GetsNoState()
    {
        var replicas = await TestBackend.StartReplicasAsync("a");
        var (manager, port) = await _gateways.StartManagerAsync();
        await using var owned = manager;
        manager.Sink.Publish(Listing(replicas));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var foreign = ControlToken.TryLoad(ControlGateways.NewTokenFile(), out _)!;

        using var unsigned = await client.GetAsync(ControlEndpoint.StatePath);
        using var signedByOther = new HttpRequestMessage(HttpMethod.Get, ControlEndpoint.StatePath);
        signedByOther.Headers.TryAddWithoutValidation("Authorization", foreign.Authorize(ControlEndpoint.StatePath, DateTimeOffset.UtcNow, ControlToken.NewNonce()));
        using var refused = await client.SendAsync(signedByOther);
        var own = ControlToken.TryLoad(_gateways.TokenFile, out _)!;
        using var old = new HttpRequestMessage(HttpMethod.Get, ControlEndpoint.StatePath);
        old.Headers.TryAddWithoutValidation("Authorization", own.Authorize(ControlEndpoint.StatePath, DateTimeOffset.UtcNow.AddMinutes(-5), ControlToken.NewNonce()));
        using var stale = await client.SendAsync(old);

        foreach (var response in new[] { unsigned, refused, stale })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain("ingress_web", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var metrics = await manager.Admin.GetStringAsync("/metrics");
        Assert.Contains("ingress_control_refused_total{reason=\"unauthorized\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("ingress_control_refused_total{reason=\"clock\"} 1", metrics, StringComparison.Ordinal);
        await replicas[0].DisposeAsync();
    }

    [Fact]
    public async Task Follower_RefusesAnAnswerItCannotVerify()
    {
        var replicas = await TestBackend.StartReplicasAsync("a");
        var document = ControlDocument.From("forged", 1, "impostor", Listing(replicas), sourceFailure: null).Encode();
        var foreign = ControlToken.TryLoad(ControlGateways.NewTokenFile(), out _)!;
        var answers = 0;
        await using var impostor = await StartImpostorAsync(async context =>
        {
            // Alternately the plain document and one sealed with another token, each for the request's own nonce.
            var nonce = context.Request.Headers.Authorization.ToString().Split("n=")[1].Split(',')[0];
            var body = Interlocked.Increment(ref answers) % 2 == 0 ? document : foreign.Seal(document, nonce);
            await context.Response.Body.WriteAsync(body);
        });
        await using var follower = await _gateways.StartFollowerAsync($"127.0.0.1:{impostor.Port}");

        await Eventually.WaitAsync(() => Volatile.Read(ref answers) >= 4, Patience, "the follower to ask the impostor a few times");

        var state = await StateAsync(follower);
        Assert.Empty(state.GetProperty("services").EnumerateArray());
        Assert.False(state.GetProperty("control").GetProperty("connected").GetBoolean());
        Assert.Contains("not sealed with this gateway's control token", state.GetProperty("control").GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Matches("ingress_control_refused_total\\{reason=\"unverifiable\"\\} [1-9]", await follower.Admin.GetStringAsync("/metrics"));
        await replicas[0].DisposeAsync();
    }

    [Fact]
    public async Task Request_FromOutsideTheControlNetwork_IsRefused()
    {
        var outside = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? throw new InvalidOperationException("this test needs a non-loopback IPv4 address on the machine");
        var (manager, port) = await _gateways.StartManagerAsync(extra: new Dictionary<string, string?> { ["Ingress:ListenAddress"] = "*" });
        await using var owned = manager;
        manager.Sink.Publish(Swarm.Snapshot("docker"));
        var token = ControlToken.TryLoad(_gateways.TokenFile, out _)!;

        async Task<HttpStatusCode> AskAsync(IPAddress address)
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://{address}:{port}/") };
            using var request = new HttpRequestMessage(HttpMethod.Get, ControlEndpoint.StatePath);
            request.Headers.TryAddWithoutValidation("Authorization", token.Authorize(ControlEndpoint.StatePath, DateTimeOffset.UtcNow, ControlToken.NewNonce()));
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        // The control network is loopback here (the managers are named by 127.0.0.1): known once the name resolved.
        await Eventually.WaitAsync(async () => await AskAsync(IPAddress.Loopback) == HttpStatusCode.OK, Patience, "the control network to be known");
        Assert.Equal(HttpStatusCode.Forbidden, await AskAsync(outside));
        Assert.Contains("ingress_control_refused_total{reason=\"network\"} 1", await manager.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--Ingress:Control:Enabled=true", "--Ingress:Control:Managers=m", "--Ingress:Control:TokenFile=/nonexistent/token" }, "Ingress:Control:TokenFile")]
    [InlineData(new[] { "--Ingress:Control:Enabled=true", "--Ingress:Control:TokenFile=TOKEN" }, "Ingress:Control:Managers is empty")]
    [InlineData(new[] { "--Ingress:Control:Enabled=true", "--Ingress:Control:Managers=a b", "--Ingress:Control:TokenFile=TOKEN" }, "not a host name")]
    [InlineData(new[] { "--Ingress:Control:Enabled=true", "--Ingress:Control:Managers=m", "--Ingress:Control:TokenFile=TOKEN", "--Ingress:Control:Port=8080" }, "Ingress:Control:Port = 8080 is also an entry or admin port")]
    [InlineData(new[] { "--Ingress:Control:Enabled=true", "--Ingress:Control:Managers=m", "--Ingress:Control:TokenFile=TOKEN", "--Ingress:Control:HeartbeatInterval=00:00:00" }, "Ingress:Control:HeartbeatInterval")]
    public void Build_InvalidControlSetting_ThrowsNamingTheKey(string[] arguments, string expected)
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([.. arguments.Select(a => a.Replace("TOKEN", _gateways.TokenFile, StringComparison.Ordinal))]));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    private static async Task<Impostor> StartImpostorAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(answer);
        await app.StartAsync();
        return new Impostor(app, new Uri(app.Urls.First()).Port);
    }

    private sealed record Impostor(WebApplication App, int Port) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await App.DisposeAsync();
    }
}
