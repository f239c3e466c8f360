using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Ingress.Gateway.Tests.Common;
using static Ingress.Gateway.Tests.Common.Swarm;
using static Ingress.Gateway.Tests.Proxy.RouteRedirectTests;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// The client policies (<c>ingress.ipallowlist</c>, <c>ingress.ratelimit.*</c>, <c>ingress.cors.*</c>) on the real gateway, with
/// the relay on and off: real clients from chosen loopback addresses (127.0.0.x), a real backend that records what reached it.
/// </summary>
public sealed class ClientPolicyTests
{
    /// <summary>The address the start-up probe comes from: in every allow-list below, and with a rate-limit bucket of its own.</summary>
    private const string ProbeAddress = "127.0.0.9";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AllowList_ClientsInARange_AreForwarded_OthersGet403_AndNeverReachTheReplica(bool relay)
    {
        await using var host = await PolicyHost.StartAsync(relay, $"ingress.ipallowlist=10.0.0.0/8, 127.0.0.2/31 ,{ProbeAddress},2001:db8::/32");

        var inRange = await host.GetAsync("127.0.0.2", "/a");
        var rangeEnd = await host.GetAsync("127.0.0.3", "/b");
        var outside = await host.GetAsync("127.0.0.4", "/c");
        var below = await host.GetAsync("127.0.0.1", "/d");

        Assert.Equal(HttpStatusCode.OK, inRange);
        Assert.Equal(HttpStatusCode.OK, rangeEnd);
        Assert.Equal(HttpStatusCode.Forbidden, outside);
        Assert.Equal(HttpStatusCode.Forbidden, below);
        Assert.Equal(["/a", "/b"], host.Backend.Requests.Select(r => r.PathAndQuery));
        Assert.Equal(2, await host.RejectionsAsync("ipallowlist"));
        if (relay)
        {
            Assert.Contains("reason=\"policy\"", await host.Gateway.Admin.GetStringAsync("/metrics"));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RateLimit_ExactlyBurstPass_Then429WithRetryAfter_AndTheReplicaSeesOnlyThoseThatPassed(bool relay)
    {
        // One request per 10 s on average: the bucket does not refill noticeably during the test.
        await using var host = await PolicyHost.StartAsync(relay, "ingress.ratelimit.average=1", "ingress.ratelimit.period=10s", "ingress.ratelimit.burst=3");
        using var client = ClientFrom("127.0.0.2");

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 5; i++)
        {
            var response = await client.GetAsync(host.Url($"/r{i}"));
            statuses.Add(response.StatusCode);
            refused = response.StatusCode == HttpStatusCode.TooManyRequests ? response : refused;
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(TimeSpan.FromSeconds(10), refused!.Headers.RetryAfter?.Delta);
        Assert.Equal(["/r0", "/r1", "/r2"], host.Backend.Requests.Select(r => r.PathAndQuery));
        Assert.Equal(2, await host.RejectionsAsync("ratelimit"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RateLimit_TwoClients_AreLimitedSeparately(bool relay)
    {
        await using var host = await PolicyHost.StartAsync(relay, "ingress.ratelimit.average=1", "ingress.ratelimit.period=1m", "ingress.ratelimit.burst=2");

        HttpStatusCode[] first = [await host.GetAsync("127.0.0.2", "/"), await host.GetAsync("127.0.0.2", "/"), await host.GetAsync("127.0.0.2", "/")];
        HttpStatusCode[] second = [await host.GetAsync("127.0.0.3", "/"), await host.GetAsync("127.0.0.3", "/"), await host.GetAsync("127.0.0.3", "/")];

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], first);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], second);
    }

    [Fact]
    public async Task RateLimit_AfterTheBucketEmpties_ItRefillsAtTheAverage_AndRetryAfterIsRoundedUp()
    {
        // 5 per second: a token every 200 ms; Retry-After is one refill (200 ms), rounded up to 1 s.
        await using var host = await PolicyHost.StartAsync(relay: true, "ingress.ratelimit.average=5", "ingress.ratelimit.period=1s", "ingress.ratelimit.burst=2");
        using var client = ClientFrom("127.0.0.2");
        await client.GetAsync(host.Url("/"));
        await client.GetAsync(host.Url("/"));

        using var refused = await client.GetAsync(host.Url("/"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(["1"], refused.Headers.GetValues("Retry-After"));

        await Eventually.WaitUntilAsync(
            async () => (await client.GetAsync(host.Url("/again"))).StatusCode == HttpStatusCode.OK, "a token to be refilled");
        Assert.Contains(host.Backend.Requests, r => r.PathAndQuery == "/again");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cors_Preflight_IsAnsweredByTheGateway_WithThePolicy_AndNeverForwarded(bool relay)
    {
        await using var host = await PolicyHost.StartAsync(relay,
            "ingress.cors.origins=https://app.test,https://*.example.test", "ingress.cors.methods=GET,PUT", "ingress.cors.headers=X-Token",
            "ingress.cors.credentials=true", "ingress.cors.maxage=600");
        using var client = ClientFrom("127.0.0.2");
        using var preflight = new HttpRequestMessage(HttpMethod.Options, host.Url("/items/1"));
        preflight.Headers.Add("Origin", "https://shop.example.test");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-token");

        using var response = await client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["https://shop.example.test"], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["true"], response.Headers.GetValues("Access-Control-Allow-Credentials"));
        Assert.Contains("PUT", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Equal("x-token", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")), ignoreCase: true);
        Assert.Equal(["600"], response.Headers.GetValues("Access-Control-Max-Age"));
        Assert.Empty(host.Backend.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cors_ActualRequest_IsForwarded_WithTheCorsHeadersOnlyForAnAllowedOrigin(bool relay)
    {
        await using var host = await PolicyHost.StartAsync(relay, "ingress.cors.origins=https://app.test,https://admin.app.test", "ingress.cors.exposeheaders=X-Total");
        using var client = ClientFrom("127.0.0.2");

        using var allowed = await SendWithOriginAsync(client, HttpMethod.Get, host.Url("/list"), "https://app.test");
        using var foreign = await SendWithOriginAsync(client, HttpMethod.Get, host.Url("/list"), "https://evil.test");
        using var foreignPreflight = await SendWithOriginAsync(client, HttpMethod.Options, host.Url("/list"), "https://evil.test", "DELETE");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(["https://app.test"], allowed.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["X-Total"], allowed.Headers.GetValues("Access-Control-Expose-Headers"));
        Assert.Contains("Origin", allowed.Headers.Vary);
        Assert.Equal(HttpStatusCode.OK, foreign.StatusCode);
        Assert.False(foreign.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(foreignPreflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(foreignPreflight.Headers.Contains("Access-Control-Allow-Methods"));
        Assert.Equal(["/list", "/list"], host.Backend.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Order_AllowListBeforeRateLimitBeforeCors_ARefusedClientSpendsNoTokenAndGetsNoPreflightAnswer()
    {
        await using var host = await PolicyHost.StartAsync(relay: true,
            $"ingress.ipallowlist=127.0.0.2,{ProbeAddress}", "ingress.ratelimit.average=1", "ingress.ratelimit.period=1m", "ingress.ratelimit.burst=1",
            "ingress.cors.origins=*");
        using var outsider = ClientFrom("127.0.0.3");
        using var member = ClientFrom("127.0.0.2");

        using var refusedPreflight = await SendWithOriginAsync(outsider, HttpMethod.Options, host.Url("/"), "https://app.test", "GET");
        using var preflight = await SendWithOriginAsync(member, HttpMethod.Options, host.Url("/"), "https://app.test", "GET");
        using var limited = await SendWithOriginAsync(member, HttpMethod.Options, host.Url("/"), "https://app.test", "GET");

        Assert.Equal(HttpStatusCode.Forbidden, refusedPreflight.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(["*"], preflight.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Empty(host.Backend.Requests);
    }

    [Theory]
    [InlineData(true, "ingress.cors.credentials=true", "not with ingress.cors.origins=*")]
    [InlineData(false, "ingress.ratelimit.burst=0", "expected a whole number of requests, 1 or more")]
    [InlineData(true, "ingress.ipallowlist=10.0.0.0/33", "is not an IP address or a CIDR range")]
    public async Task BadClientPolicyLabel_SkipsOnlyThatService_WithTheLabelAndReasonShown(bool relay, string badLabel, string reason)
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var gateway = await GatewayTestHost.StartAsync(RelaySetting(relay));
        var port = backend.Port.ToString(CultureInfo.InvariantCulture);
        gateway.Sink.Publish(Snapshot(
            "docker",
            Service("good", Labels("ingress.host=good.test", $"ingress.port={port}", "ingress.cors.origins=*", "ingress.ratelimit.average=100"), [Task("g1", backend.Ip)]),
            Service("bad", Labels("ingress.host=bad.test", $"ingress.port={port}", "ingress.cors.origins=*", "ingress.ratelimit.average=100", badLabel), [Task("b1", backend.Ip)])));

        var (good, _) = await Eventually.WaitAsync(
            () => RawGetAsync(gateway.EntryPorts[0], "/", "good.test"), r => !r.Status.Contains("404", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the good service to be routed");
        var (bad, _) = await RawGetAsync(gateway.EntryPorts[0], "/", "bad.test");
        var state = await gateway.Admin.GetStringAsync("/api/state");

        Assert.Equal("HTTP/1.1 200 OK", good);
        Assert.Equal("HTTP/1.1 404 Not Found", bad);
        Assert.Contains(reason, state);
        Assert.Contains(badLabel.Split('=')[0], state);
        Assert.Contains("ingress_invalid_labels_total{service=\"bad\"}", await gateway.Admin.GetStringAsync("/metrics"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StaticRoute_WithTheSameMetadata_IsLimitedAndAllowListed(bool relay)
    {
        await using var backend = await TestBackend.StartAsync("b1");
        var settings = StaticRoutes.CatchAll([backend]);
        settings["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture);
        settings["ReverseProxy:Routes:all:Metadata:ingress.ipallowlist"] = "127.0.0.2";
        settings["ReverseProxy:Routes:all:Metadata:ingress.ratelimit.average"] = "1";
        settings["ReverseProxy:Routes:all:Metadata:ingress.ratelimit.period"] = "1m";
        settings["ReverseProxy:Routes:all:Metadata:ingress.ratelimit.burst"] = "2";
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        var url = $"http://127.0.0.1:{gateway.EntryPorts[0]}/";
        using var member = ClientFrom("127.0.0.2");
        using var outsider = ClientFrom("127.0.0.3");

        HttpStatusCode[] statuses = [(await member.GetAsync(url)).StatusCode, (await member.GetAsync(url)).StatusCode, (await member.GetAsync(url)).StatusCode, (await outsider.GetAsync(url)).StatusCode];
        var state = await gateway.Admin.GetStringAsync("/api/state");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.Forbidden], statuses);
        Assert.Equal(2, backend.ServedCount);
        Assert.Contains("\"ipAllowList\"", state);
        Assert.Contains("1 per 60s, burst 2, per client address, per gateway", state);
    }

    [Fact]
    public async Task StaticRoute_WithBadClientPolicyMetadata_StopsTheGatewayAtStartUp_WithTheKeyAndReason()
    {
        var settings = StaticRoutes.CatchAll("http://127.0.0.1:9/");
        settings["ReverseProxy:Routes:all:Metadata:ingress.cors.origins"] = "https://app.test/path";

        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await (await GatewayTestHost.StartAsync(settings)).DisposeAsync());

        Assert.Contains("ingress.cors.origins=https://app.test/path", ex.ToString());
        Assert.Contains("is not an origin", ex.ToString());
    }

    [Fact]
    public async Task ApiState_ShowsEachClientPolicy_OnceAndReadably()
    {
        await using var host = await PolicyHost.StartAsync(relay: true,
            $"ingress.ipallowlist=127.0.0.0/24", "ingress.ratelimit.average=100", "ingress.cors.origins=https://app.test", "ingress.cors.credentials=true");

        var state = await host.Gateway.Admin.GetStringAsync("/api/state");

        Assert.Contains("{\"name\":\"ipAllowList\",\"value\":\"127.0.0.0/24\"}", state);
        Assert.Contains("{\"name\":\"rateLimit\",\"value\":\"100 per 1s, burst 10, per client address, per gateway\"}", state);
        Assert.Contains("{\"name\":\"cors\",\"value\":\"origins=https://app.test credentials=true\"}", state);
        Assert.DoesNotContain("\"name\":\"ingress.ratelimit.average\"", state);
    }

    private static async Task<HttpResponseMessage> SendWithOriginAsync(HttpClient client, HttpMethod method, string url, string origin, string? preflightMethod = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Origin", origin);
        if (preflightMethod is not null)
        {
            request.Headers.Add("Access-Control-Request-Method", preflightMethod);
        }

        return await client.SendAsync(request);
    }

    /// <summary>A client whose connections come from <paramref name="localAddress"/> (a loopback address), as another machine's would.</summary>
    internal static HttpClient ClientFrom(string localAddress) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The gateway with the service <c>web</c> published on its entry port with <paramref name="labels"/>, routed, and one backend.</summary>
    private sealed class PolicyHost(GatewayTestHost gateway, TestBackend backend) : IAsyncDisposable
    {
        public GatewayTestHost Gateway { get; } = gateway;

        public TestBackend Backend { get; } = backend;

        public static async Task<PolicyHost> StartAsync(bool relay, params string[] labels)
        {
            var backend = await TestBackend.StartAsync("b1");
            var gateway = await GatewayTestHost.StartAsync(RelaySetting(relay));
            var host = new PolicyHost(gateway, backend);
            var entry = gateway.EntryPorts[0];
            gateway.Sink.Publish(Snapshot("docker", Service("web", Labels([$"ingress.publish={entry}:{backend.Port}", .. labels]), [Task("t1", backend.Ip)])));
            using var probe = ClientFrom(ProbeAddress);
            await Eventually.WaitAsync(
                async () => (await probe.GetAsync(host.Url("/probe"))).StatusCode, s => s != HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(10), "the service to be routed");
            backend.Requests.Clear();
            return host;
        }

        public string Url(string path) => $"http://127.0.0.1:{Gateway.EntryPorts[0]}{path}";

        public async Task<HttpStatusCode> GetAsync(string from, string path)
        {
            using var client = ClientFrom(from);
            using var response = await client.GetAsync(Url(path));
            return response.StatusCode;
        }

        /// <summary><c>ingress_policy_rejections_total{service="web",policy,reason}</c>, 0 when absent.</summary>
        public async Task<double> RejectionsAsync(string policy)
        {
            var metrics = await Gateway.Admin.GetStringAsync("/metrics");
            var match = Regex.Match(metrics, $"^ingress_policy_rejections_total\\{{service=\"web\",policy=\"{policy}\",reason=\"{(policy == "ratelimit" ? "limited" : "forbidden")}\"\\}} (\\S+)$", RegexOptions.Multiline);
            return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }
}
