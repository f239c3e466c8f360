using System.Net;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Hosting;

public sealed class ListenerSeparationTests
{
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    [InlineData("/api/state")]
    public async Task AdminPath_OnPublicPort_IsProxiedNotServed(string path)
    {
        var backends = await TestBackend.StartManyAsync("backend");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        var body = await gateway.Public.GetStringAsync(path);

        Assert.Equal("backend", body);
        Assert.Equal(path, Assert.Single(backends[0].Requests).PathAndQuery);
        await backends[0].DisposeAsync();
    }

    [Fact]
    public async Task AdminPort_NeverProxies()
    {
        var backends = await TestBackend.StartManyAsync("backend");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        using var response = await gateway.Admin.GetAsync("/anything");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(backends[0].Requests);
        await backends[0].DisposeAsync();
    }

    [Fact]
    public async Task PublicPort_WithoutRoutes_Returns404()
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        using var response = await gateway.Public.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AdminEndpoints_OnAdminPort_Answer()
    {
        await using var gateway = await GatewayTestHost.StartAsync();

        Assert.Equal("ok", await gateway.Admin.GetStringAsync("/healthz"));
        using var ready = await gateway.Admin.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains("# TYPE ingress_config_reloads_total counter", metrics);
        Assert.Contains("ingress_invalid_services 0", metrics);
        var state = await gateway.Admin.GetStringAsync("/api/state");
        Assert.Contains($"\"adminPort\":{gateway.AdminPort}", state);
    }

    [Fact]
    public async Task AdminPath_OnEntryPortWithAMethodOnlyAdminAllows_Returns404Not405()
    {
        // ASP.NET Core's matcher alone decides (no relay, no endpoint selector). Had the entry ports' matcher the admin
        // endpoints too, their GET-only rule would answer this POST with 405.
        await using var gateway = await ReferenceGateway.StartAsync(new Dictionary<string, string?>());

        using var response = await gateway.Public.PostAsync("/healthz", content: null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task StaticRoute_BoundToTheAdminPort_IsNeverProxied()
    {
        // The entry-port rule alone would let this route match on the admin port; it never does because YARP's routes
        // are not in the admin port's matcher at all.
        var backends = await TestBackend.StartManyAsync("backend");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends), configure: builder =>
            builder.Configuration["ReverseProxy:Routes:all:Metadata:ingress.entryPort"] = builder.Configuration["Ingress:AdminPort"]);

        using var response = await gateway.Admin.GetAsync("/anything");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(backends[0].Requests);
        await backends[0].DisposeAsync();
    }

    [Fact]
    public async Task StaticRoute_WithEntryPortMetadata_MatchesOnlyOnThatPort()
    {
        var backends = await TestBackend.StartManyAsync("legacy");
        var settings = StaticRoutes.CatchAll(backends);
        settings["ReverseProxy:Routes:all:Metadata:ingress.entryPort"] = "{SECOND}";
        await using var gateway = await GatewayTestHost.StartAsync(settings, entryPortCount: 2, configure: builder =>
        {
            // The entry ports are chosen at start; bind the route to the second one.
            var second = builder.Configuration["Ingress:EntryPorts:1"];
            builder.Configuration["ReverseProxy:Routes:all:Metadata:ingress.entryPort"] = second;
        });
        using var secondClient = GatewayTestHost.ClientFor(gateway.EntryPorts[1]);

        Assert.Equal("legacy", await secondClient.GetStringAsync("/x"));
        using var first = await gateway.Public.GetAsync("/x");
        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        await backends[0].DisposeAsync();
    }
}
