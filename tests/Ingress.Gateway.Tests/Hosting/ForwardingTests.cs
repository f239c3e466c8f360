using System.Net;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Hosting;

public sealed class ForwardingTests
{
    [Fact]
    public async Task StaticCluster_WithoutPolicy_RotatesExactlyTenEachOverThirtyRequests()
    {
        var backends = await TestBackend.StartManyAsync("a", "b", "c");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        var names = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            names.Add(await gateway.Public.GetStringAsync("/"));
        }

        Assert.All(names.GroupBy(n => n), g => Assert.Equal(10, g.Count()));
        Assert.Equal(3, names.Distinct().Count());
        for (var i = 3; i < names.Count; i++)
        {
            Assert.Equal(names[i - 3], names[i]);
        }

        await DisposeAll(backends);
    }

    [Fact]
    public async Task Proxy_ForwardsStandardForwardedHeaders()
    {
        var backends = await TestBackend.StartManyAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/some/path?q=1");
        request.Headers.Host = "shop.example.com";
        using var response = await gateway.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(backends[0].Requests);
        Assert.Equal("/some/path?q=1", seen.PathAndQuery);
        Assert.Equal("127.0.0.1", seen.Headers["X-Forwarded-For"]);
        Assert.Equal("http", seen.Headers["X-Forwarded-Proto"]);
        Assert.Equal("shop.example.com", seen.Headers["X-Forwarded-Host"]);
        await DisposeAll(backends);
    }

    [Fact]
    public async Task Proxy_ClientSuppliedForwardedFor_IsReplacedNotTrusted()
    {
        var backends = await TestBackend.StartManyAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        using var response = await gateway.Public.SendAsync(request);

        Assert.Equal("127.0.0.1", Assert.Single(backends[0].Requests).Headers["X-Forwarded-For"]);
        await DisposeAll(backends);
    }

    private static async Task DisposeAll(IEnumerable<TestBackend> backends)
    {
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
