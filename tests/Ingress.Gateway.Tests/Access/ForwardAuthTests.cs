using System.Net;
using Ingress.Gateway.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace Ingress.Gateway.Tests.Access;

/// <summary><c>ingress.auth.forward.*</c> on the real gateway, relay on and off, with a real Kestrel auth service and backend.</summary>
public sealed class ForwardAuthTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ForwardAuth_2xx_ForwardsWithTheNamedHeadersOfTheAnswer_AndTellsTheAuthServiceWhereTheRequestWent(bool relay)
    {
        await using var auth = await AuthService.StartAsync();
        auth.Answer = context =>
        {
            context.Response.Headers["X-User"] = "alice";
            context.Response.Headers["X-Secret"] = "not copied";
            return Task.CompletedTask;
        };
        await using var gateway = await AccessGateway.StartAsync(relay);
        await gateway.PublishAsync($"ingress.auth.forward.address={auth.Address}", "ingress.auth.forward.responseheaders=X-User,X-Roles");
        auth.Requests.Clear();

        var response = await gateway.SendAsync("/app/page?q=1", headers: [("Cookie", "session=abc"), ("X-User", "mallory"), ("X-Roles", "admin"), ("X-Forwarded-Uri", "/forged")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(gateway.Backend.Requests);
        Assert.Equal("/app/page?q=1", received.PathAndQuery);
        Assert.Equal("alice", received.Headers["X-User"]);
        Assert.False(received.Headers.ContainsKey("X-Roles"), "a header the auth service did not send is removed, not taken from the client");
        Assert.False(received.Headers.ContainsKey("X-Secret"));

        var (method, target, headers) = Assert.Single(auth.Requests);
        Assert.Equal(("GET", "/verify"), (method, target));
        Assert.Equal("GET", headers["X-Forwarded-Method"]);
        Assert.Equal("http", headers["X-Forwarded-Proto"]);
        Assert.Equal("site.test", headers["X-Forwarded-Host"]);
        Assert.Equal("/app/page?q=1", headers["X-Forwarded-Uri"]);
        Assert.Equal("127.0.0.1", headers["X-Forwarded-For"]);
        Assert.Equal("session=abc", headers["Cookie"]);
        Assert.Equal($"127.0.0.1:{auth.Port}", headers["Host"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ForwardAuth_Denied_TheClientGetsTheAuthServicesStatusHeadersAndBody_AndTheReplicaNothing(bool relay)
    {
        await using var auth = await AuthService.StartAsync();
        await using var gateway = await AccessGateway.StartAsync(relay);
        await gateway.PublishAsync($"ingress.auth.forward.address={auth.Address}");
        auth.Answer = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.Headers["X-Reason"] = "not on the list";
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("go away");
        };

        var denied = await gateway.SendAsync("/");

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("not on the list", denied.Headers.GetValues("X-Reason").Single());
        Assert.Equal("text/plain", denied.Content.Headers.ContentType!.MediaType);
        Assert.Equal("go away", await denied.Content.ReadAsStringAsync());

        // A redirect (to a login page) is the client's to follow, not the gateway's.
        auth.Answer = context =>
        {
            context.Response.Redirect("https://login.example/?rd=%2F");
            return Task.CompletedTask;
        };
        var redirected = await gateway.SendAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.Equal("https://login.example/?rd=%2F", redirected.Headers.Location!.OriginalString);

        Assert.Empty(gateway.Backend.Requests);
        Assert.True(await gateway.MetricAsync("ingress_policy_rejections_total{service=\"web\",policy=\"forward\",reason=\"denied\"}") >= 2);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ForwardAuth_AuthServiceDown_Is502_AndTooSlow_Is504_Counted(bool relay)
    {
        await using var auth = await AuthService.StartAsync();
        await using var gateway = await AccessGateway.StartAsync(relay);
        var closed = Ingress.Testing.FreePort.Next(1)[0];
        await gateway.PublishAsync($"ingress.auth.forward.address=http://127.0.0.1:{closed}/verify");

        Assert.Equal(HttpStatusCode.BadGateway, (await gateway.SendAsync("/")).StatusCode);
        Assert.True(await gateway.MetricAsync("ingress_policy_rejections_total{service=\"web\",policy=\"forward\",reason=\"unreachable\"}") >= 1);

        auth.Answer = context => Task.Delay(Timeout.Infinite, context.RequestAborted);
        await gateway.PublishAsync($"ingress.auth.forward.address={auth.Address}", "ingress.auth.forward.timeout=300ms");
        var before = await gateway.MetricAsync(TimedOut);

        Assert.Equal(HttpStatusCode.GatewayTimeout, (await gateway.SendAsync("/")).StatusCode);
        Assert.Equal(1, await gateway.MetricAsync(TimedOut) - before);
        Assert.Empty(gateway.Backend.Requests);
    }

    private const string TimedOut = "ingress_policy_rejections_total{service=\"web\",policy=\"forward\",reason=\"timeout\"}";

    [Theory]
    [InlineData(false, "/app?x=1", "127.0.0.1")]
    [InlineData(true, "/forged", "10.9.9.9, 127.0.0.1")]
    public async Task ForwardAuth_ClientForwardHeaders_ReachTheAuthServiceOnlyWhenTrusted(bool trust, string uri, string forwardedFor)
    {
        await using var auth = await AuthService.StartAsync();
        await using var gateway = await AccessGateway.StartAsync(relay: true);
        await gateway.PublishAsync($"ingress.auth.forward.address={auth.Address}", $"ingress.auth.forward.trustforwardheader={trust}".ToLowerInvariant());
        auth.Requests.Clear();

        await gateway.SendAsync("/app?x=1", headers: [("X-Forwarded-Uri", "/forged"), ("X-Forwarded-For", "10.9.9.9"), ("X-Forwarded-Custom", "c")]);

        var (_, _, headers) = Assert.Single(auth.Requests);
        Assert.Equal(uri, headers["X-Forwarded-Uri"]);
        Assert.Equal(forwardedFor, headers["X-Forwarded-For"]);
        Assert.Equal(trust, headers.ContainsKey("X-Forwarded-Custom"));
    }

    [Fact]
    public async Task ForwardAuth_RequestHeaders_OnlyThoseNamedReachTheAuthService()
    {
        await using var auth = await AuthService.StartAsync();
        await using var gateway = await AccessGateway.StartAsync(relay: false);
        await gateway.PublishAsync($"ingress.auth.forward.address={auth.Address}", "ingress.auth.forward.requestheaders=Cookie");
        auth.Requests.Clear();

        await gateway.SendAsync("/", "alice", "pw", [("Cookie", "s=1"), ("X-Other", "o")]);

        var (_, _, headers) = Assert.Single(auth.Requests);
        Assert.Equal("s=1", headers["Cookie"]);
        Assert.False(headers.ContainsKey("X-Other"));
        Assert.False(headers.ContainsKey("Authorization"));
        Assert.Equal("/", headers["X-Forwarded-Uri"]);
    }

    [Fact]
    public async Task BasicThenForward_BothMustPass_AndApiStateShowsBoth()
    {
        await using var auth = await AuthService.StartAsync();
        await using var gateway = await AccessGateway.StartAsync(relay: true);
        var users = gateway.WriteUsers("users", Htpasswd.BCryptLine("alice", "pw"));
        await gateway.PublishAsync($"ingress.auth.basic.usersfile={users}", $"ingress.auth.forward.address={auth.Address}");
        auth.Requests.Clear();

        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SendAsync("/")).StatusCode);
        Assert.Empty(auth.Requests);
        Assert.Equal(HttpStatusCode.OK, (await gateway.SendAsync("/", "alice", "pw")).StatusCode);
        Assert.Single(auth.Requests);

        var policies = await gateway.PoliciesAsync();
        Assert.Contains($"ingress.auth.forward.address={auth.Address}", policies);
        Assert.Contains(policies, p => p.StartsWith($"basicAuth={users}: 1 users", StringComparison.Ordinal));
        Assert.DoesNotContain(policies, p => p.Contains("$2", StringComparison.Ordinal));
    }
}
