using System.Net;
using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>Discovery snapshots through the real reconciler, YARP and Kestrel, to replicas on 127.0.0.2, .3 and .4.</summary>
public sealed class DiscoveredRoutingTests
{
    [Fact]
    public async Task PublishedService_RotatesOverItsTasks()
    {
        var replicas = await TestBackend.StartReplicasAsync("r1", "r2", "r3");
        await using var gateway = await GatewayTestHost.StartAsync();
        var port = replicas[0].Port;

        gateway.Sink.Publish(Snapshot("docker", Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{port}"), Tasks(replicas))));

        var names = await GetMany(gateway.Public, 30);
        Assert.All(names.GroupBy(n => n), g => Assert.Equal(10, g.Count()));
        Assert.Equal(["r1", "r2", "r3"], names.Distinct().Order());
        await DisposeAll(replicas);
    }

    [Fact]
    public async Task TwoEntryPorts_EachRoutesToItsOwnService()
    {
        var web = await TestBackend.StartReplicasAsync("web");
        var api = await TestBackend.StartAsync("api", ip: "127.0.0.9");
        await using var gateway = await GatewayTestHost.StartAsync(entryPortCount: 2);
        var (first, second) = (gateway.EntryPorts[0], gateway.EntryPorts[1]);

        gateway.Sink.Publish(Snapshot("docker",
            Service("web", Labels($"ingress.publish={first}:{web[0].Port}"), Tasks(web)),
            Service("api", Labels($"ingress.publish={second}:{api.Port}"), [Task("api-1", api.Ip)])));

        using var secondClient = GatewayTestHost.ClientFor(second);
        Assert.Equal("web", await gateway.Public.GetStringAsync("/x"));
        Assert.Equal("api", await secondClient.GetStringAsync("/x"));
        await DisposeAll([.. web, api]);
    }

    [Fact]
    public async Task HostRule_WinsOverPortMapping_ForItsHost()
    {
        var web = await TestBackend.StartReplicasAsync("web");
        var shop = await TestBackend.StartAsync("shop", ip: "127.0.0.9");
        await using var gateway = await GatewayTestHost.StartAsync();

        gateway.Sink.Publish(Snapshot("docker",
            Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{web[0].Port}"), Tasks(web)),
            Service("shop", Labels("ingress.host=shop.example.com", "ingress.path=/cart", $"ingress.port={shop.Port}"), [Task("s1", shop.Ip)])));

        Assert.Equal("shop", await GetWithHost(gateway.Public, "/cart/items", "shop.example.com"));
        Assert.Equal("web", await GetWithHost(gateway.Public, "/other", "shop.example.com"));
        Assert.Equal("web", await GetWithHost(gateway.Public, "/cart/items", "elsewhere.example.com"));
        await DisposeAll([.. web, shop]);
    }

    [Fact]
    public async Task InvalidService_IsSkippedWhileOthersServe_AndIsVisibleInStateAndMetrics()
    {
        var web = await TestBackend.StartReplicasAsync("web");
        await using var gateway = await GatewayTestHost.StartAsync();

        gateway.Sink.Publish(Snapshot("docker",
            Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{web[0].Port}"), Tasks(web)),
            Service("broken", Labels("ingress.publish=8888:abc"), [Task("b1", "127.0.0.50")])));

        Assert.Equal("web", await gateway.Public.GetStringAsync("/"));
        var state = await gateway.Admin.GetStringAsync("/api/state");
        Assert.Contains("\"name\":\"broken\"", state);
        Assert.Contains("\"status\":\"invalid\"", state);
        Assert.Contains("ingress.publish=8888:abc", state);
        Assert.Contains("ingress_invalid_services 1", await gateway.Admin.GetStringAsync("/metrics"));
        await DisposeAll(web);
    }

    [Fact]
    public async Task LabelChange_ChangesRouting()
    {
        var a = await TestBackend.StartAsync("a", ip: "127.0.0.11");
        var b = await TestBackend.StartAsync("b", ip: "127.0.0.12");
        await using var gateway = await GatewayTestHost.StartAsync();
        var entry = gateway.EntryPorts[0];

        gateway.Sink.Publish(Snapshot("docker",
            Service("a", Labels($"ingress.publish={entry}:{a.Port}"), [Task("a1", a.Ip)], ageRank: 1),
            Service("b", Labels("ingress.enable=false", $"ingress.publish={entry}:{b.Port}"), [Task("b1", b.Ip)], ageRank: 2)));
        Assert.Equal("a", await gateway.Public.GetStringAsync("/"));

        gateway.Sink.Publish(Snapshot("docker",
            Service("a", Labels("ingress.enable=false", $"ingress.publish={entry}:{a.Port}"), [Task("a1", a.Ip)], ageRank: 1),
            Service("b", Labels($"ingress.publish={entry}:{b.Port}"), [Task("b1", b.Ip)], ageRank: 2)));
        Assert.Equal("b", await gateway.Public.GetStringAsync("/"));
        await DisposeAll([a, b]);
    }

    [Fact]
    public async Task StaticCatchAll_AndPublishedServiceOnItsPort_StaticKeepsTheTie_MoreSpecificRoutesStillWin()
    {
        var legacy = await TestBackend.StartAsync("legacy", ip: "127.0.0.21");
        var web = await TestBackend.StartAsync("web", ip: "127.0.0.22");
        var shop = await TestBackend.StartAsync("shop", ip: "127.0.0.23");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll([legacy]));
        var entry = gateway.EntryPorts[0];
        Assert.Equal("legacy", await gateway.Public.GetStringAsync("/"));

        // The same path, host (none) and entry port as the static route: routing alone cannot choose (a 500 for
        // every request before); the route the operator configured keeps the traffic.
        gateway.Sink.Publish(Snapshot("docker",
            Service("web", Labels($"ingress.publish={entry}:{web.Port}"), [Task("w1", web.Ip)]),
            Service("shop", Labels("ingress.host=shop.example.com", $"ingress.port={shop.Port}"), [Task("s1", shop.Ip)])));
        await WaitForRouteAsync(gateway, "shop.example.com", "shop");

        for (var i = 0; i < 5; i++)
        {
            using var response = await gateway.Public.GetAsync("/anything");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("legacy", await response.Content.ReadAsStringAsync());
        }

        // A discovered route with a host is more specific than the host-less static route, so it wins for its host.
        Assert.Equal("shop", await GetWithHost(gateway.Public, "/cart", "shop.example.com"));
        Assert.Equal("legacy", await GetWithHost(gateway.Public, "/cart", "other.example.com"));
        await DisposeAll([legacy, web, shop]);
    }

    [Fact]
    public async Task OverlappingHostLists_NewerServiceIsInvalid_OlderKeepsServing()
    {
        var older = await TestBackend.StartAsync("older", ip: "127.0.0.24");
        var newer = await TestBackend.StartAsync("newer", ip: "127.0.0.25");
        await using var gateway = await GatewayTestHost.StartAsync();

        gateway.Sink.Publish(Snapshot("docker",
            Service("older", Labels("ingress.host=a.example.com,b.example.com", $"ingress.port={older.Port}"), [Task("o1", older.Ip)], ageRank: 1),
            Service("newer", Labels("ingress.host=b.example.com", $"ingress.port={newer.Port}"), [Task("n1", newer.Ip)], ageRank: 2)));
        await WaitForRouteAsync(gateway, "a.example.com", "older");

        Assert.Equal("older", await GetWithHost(gateway.Public, "/", "b.example.com"));
        var state = await gateway.Admin.GetStringAsync("/api/state");
        Assert.Contains("clashes with service 'older', which already routes b.example.com:", state);
        await DisposeAll([older, newer]);
    }

    [Fact]
    public async Task ServiceWithoutTasks_Answers503()
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        gateway.Sink.Publish(Snapshot("docker", Service("empty", Labels($"ingress.publish={gateway.EntryPorts[0]}:80"))));

        using var response = await gateway.Public.GetAsync("/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Gateway_ValidatesThroughTheCache_AndAppliesATaskChangeInOneOfTwoServices()
    {
        var web = await TestBackend.StartReplicasAsync("w1", "w2");
        var shop = await TestBackend.StartAsync("shop", ip: "127.0.0.9");
        await using var gateway = await GatewayTestHost.StartAsync();
        Assert.IsType<CachingConfigValidator>(gateway.Services.GetRequiredService<Yarp.ReverseProxy.Configuration.IConfigValidator>());
        var shopService = Service("shop", Labels("ingress.host=shop.example.com", $"ingress.port={shop.Port}"), [Task("s1", shop.Ip)]);
        Ingress.Gateway.Discovery.SwarmService Web(params TestBackend[] replicas) =>
            Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{web[0].Port}"), Tasks(replicas));

        gateway.Sink.Publish(Snapshot("docker", shopService, Web(web[0])));
        Assert.Equal("w1", await gateway.Public.GetStringAsync("/"));

        // A rolling update of web: shop's route and cluster reach YARP as the objects it validated already.
        gateway.Sink.Publish(Snapshot("docker", shopService with { }, Web(web[1])));

        Assert.Equal("w2", await gateway.Public.GetStringAsync("/"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = "shop.example.com" } };
        Assert.Equal("shop", await (await gateway.Public.SendAsync(request)).Content.ReadAsStringAsync());
        await DisposeAll([.. web, shop]);
    }

    private static IEnumerable<Ingress.Gateway.Discovery.SwarmTask> Tasks(IEnumerable<TestBackend> replicas) =>
        replicas.Select((r, i) => Task($"task-{r.Name}", r.Ip, i + 1));

    private static async Task<List<string>> GetMany(HttpClient client, int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            names.Add(await client.GetStringAsync("/"));
        }

        return names;
    }

    private static async Task<string> GetWithHost(HttpClient client, string path, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task WaitForRouteAsync(GatewayTestHost gateway, string host, string expected) =>
        Eventually.WaitAsync(() => GetWithHost(gateway.Public, "/", host), body => body == expected, TimeSpan.FromSeconds(10), $"'{host}' to reach '{expected}'", TimeSpan.FromMilliseconds(20));

    private static async Task DisposeAll(IEnumerable<TestBackend> backends)
    {
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
