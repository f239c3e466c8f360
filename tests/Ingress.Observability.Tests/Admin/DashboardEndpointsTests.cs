using System.Net;
using System.Net.Http.Headers;
using Ingress.Observability.Tests.Common;
using static Ingress.Observability.Tests.Common.Swarm;

namespace Ingress.Observability.Tests.Admin;

/// <summary>How the dashboard's files are served: admin port only, revalidated, locked down by a content security policy.</summary>
public sealed class DashboardEndpointsTests
{
    [Theory]
    [InlineData("/", "text/html", "<script src=\"dashboard.js\" defer></script>")]
    [InlineData("/dashboard.js", "text/javascript", "fetch('api/state'")]
    [InlineData("/dashboard.css", "text/css", ".service-head")]
    public async Task Get_DashboardFileOnAdminPort_ServesItWithStrictHeaders(string path, string mediaType, string excerpt)
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        using var response = await gateway.Admin.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(excerpt, await response.Content.ReadAsStringAsync());
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var policy = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal("nosniff", string.Join(' ', response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Get_DashboardWithCurrentETag_Answers304()
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        using var first = await gateway.Admin.GetAsync("/dashboard.js");
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard.js");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await gateway.Admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task Get_RootOnEntryPortWithoutRoute_IsNotTheDashboard()
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        using var response = await gateway.Public.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("dashboard.js", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_RootOnEntryPortWithCatchAllService_GoesToTheService()
    {
        await using var farm = await ReplicaFarm.StartAsync(1);
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot([Service("web", Labels($"ingress.publish={gateway.EntryPorts[0]}:{farm.Port}"), [Replica("web", 1, farm.Addresses[0])])]));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var response = await gateway.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(farm.Addresses[0], await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_ApiStateAfterAddingTheDashboard_StillServesState()
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        var state = await gateway.Admin.GetStringAsync("/api/state");

        Assert.Contains($"\"adminPort\":{gateway.AdminPort}", state);
        Assert.Equal("ok", await gateway.Admin.GetStringAsync("/healthz"));
    }
}
