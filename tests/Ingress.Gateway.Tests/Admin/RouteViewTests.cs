using System.Text.Json;
using Ingress.Gateway.Tests.Common;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Admin;

/// <summary><c>/api/state</c>'s <c>routes</c>: every route YARP serves, from the real gateway on loopback.</summary>
public sealed class RouteViewTests
{
    [Fact]
    public async Task ApiState_OnlyStaticRoutes_ListsThemWithDestinationsAndPolicies()
    {
        await using var a = await TestBackend.StartAsync("a", ip: "127.0.0.31");
        await using var b = await TestBackend.StartAsync("b", ip: "127.0.0.32");
        var settings = StaticRoutes.CatchAll([a, b]);
        settings["ReverseProxy:Routes:all:Metadata:ingress.hsts.maxage"] = "600";
        settings["ReverseProxy:Routes:all:Metadata:team"] = "platform";
        settings["ReverseProxy:Routes:all:Transforms:0:RequestHeader"] = "X-Route";
        settings["ReverseProxy:Routes:all:Transforms:0:Set"] = "static";
        settings["ReverseProxy:Clusters:backends:HttpRequest:ActivityTimeout"] = "00:00:30";
        await using var gateway = await GatewayTestHost.StartAsync(settings, entryPortCount: 2);

        Assert.Contains(await gateway.Public.GetStringAsync("/"), new[] { "a", "b" });

        // The request is counted once the response is sent: wait for the count rather than read it at once.
        var state = await Eventually.WaitAsync(
            () => StateAsync(gateway),
            s => Route(s, "all").GetProperty("destinations").EnumerateArray().Sum(d => d.GetProperty("requests").GetInt64()) == 1,
            TimeSpan.FromSeconds(10), "the request in the static route's destination totals");
        Assert.Empty(state.GetProperty("services").EnumerateArray());
        var route = Route(state, "all");
        Assert.Equal("static", route.GetProperty("source").GetString());
        Assert.Equal("backends", route.GetProperty("service").GetString());
        Assert.Equal("backends", route.GetProperty("cluster").GetString());
        Assert.Equal(gateway.EntryPorts, route.GetProperty("entryPorts").EnumerateArray().Select(p => p.GetInt32()));
        Assert.Equal("{**catch-all}", route.GetProperty("match").GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, route.GetProperty("match").GetProperty("hosts").ValueKind);
        Assert.Equal("RoundRobin", route.GetProperty("loadBalancing").GetString());
        Assert.Equal(
            [("a", a.Address, "in rotation"), ("b", b.Address, "in rotation")],
            route.GetProperty("destinations").EnumerateArray().Select(d =>
                (d.GetProperty("id").GetString(), d.GetProperty("address").GetString(), d.GetProperty("health").GetString())));
        Assert.Equal(
            ["timeout=30s", "hsts=max-age=600", "team=platform", "transform=RequestHeader=X-Route, Set=static"],
            Policies(route));
    }

    [Fact]
    public async Task ApiState_DiscoveredServices_ListsTheirRoutesUnderTheService_WithOnlyThePoliciesTheyAskFor()
    {
        await using var web = await TestBackend.StartAsync("web", ip: "127.0.0.33");
        await using var gateway = await GatewayTestHost.StartAsync();

        gateway.Sink.Publish(Snapshot("docker", Service("web",
            Labels("ingress.host=web.example.test", $"ingress.port={web.Port}", "ingress.timeout=5s", "ingress.tls.acme=true",
                "ingress.redirect.scheme=https", "ingress.healthcheck.path=/healthz"),
            [Task("task-web-1", web.Ip)]),
            Service("plain", Labels($"ingress.publish={gateway.EntryPorts[0]}:{web.Port}"), [Task("task-plain-1", web.Ip)])));

        var state = await Eventually.WaitAsync(
            () => StateAsync(gateway),
            s => s.GetProperty("routes").GetArrayLength() == 2,
            TimeSpan.FromSeconds(10), "the discovered routes in /api/state");
        var route = Route(state, "web/rule");
        Assert.Equal("web", route.GetProperty("source").GetString());
        Assert.Equal("web", route.GetProperty("service").GetString());
        Assert.Equal([gateway.EntryPorts[0]], route.GetProperty("entryPorts").EnumerateArray().Select(p => p.GetInt32()));
        Assert.Equal(["web.example.test"], route.GetProperty("match").GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal($"web/{web.Port}", route.GetProperty("cluster").GetString());
        var destination = Assert.Single(route.GetProperty("destinations").EnumerateArray());
        Assert.Equal("task-web-1", destination.GetProperty("id").GetString());
        Assert.Equal(web.Address, destination.GetProperty("address").GetString());
        Assert.Equal(
            ["timeout=5s", "healthCheck=/healthz every 5s, timeout 2s", "redirect=scheme=https (308)", "acme=web.example.test"],
            Policies(route));
        Assert.Equal(["plain", "web"], state.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()));

        // The gateway's defaults (request timeout, passive health) are every route's: they are not listed as its policies.
        var plain = Route(state, $"plain/publish/{gateway.EntryPorts[0]}");
        Assert.Equal("plain", plain.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("match").GetProperty("hosts").ValueKind);
        Assert.Empty(Policies(plain));
    }

    private static async Task<JsonElement> StateAsync(GatewayTestHost gateway) =>
        JsonDocument.Parse(await gateway.Admin.GetStringAsync("/api/state")).RootElement.Clone();

    private static JsonElement Route(JsonElement state, string id) =>
        Assert.Single(state.GetProperty("routes").EnumerateArray(), r => r.GetProperty("id").GetString() == id);

    private static IEnumerable<string> Policies(JsonElement route) =>
        route.GetProperty("policies").EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()}={p.GetProperty("value").GetString()}");
}
