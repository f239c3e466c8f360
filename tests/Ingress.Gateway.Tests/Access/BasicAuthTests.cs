using System.Net;
using Ingress.Gateway.Tests.Common;
using Ingress.Testing;

namespace Ingress.Gateway.Tests.Access;

/// <summary><c>ingress.auth.basic.*</c> on the real gateway, relay on and off, with a real backend and real users files.</summary>
public sealed class BasicAuthTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BasicAuth_RightCredentialsPass_WrongOrMissingGet401WithTheRealm_AndNeverReachTheReplica(bool relay)
    {
        await using var gateway = await AccessGateway.StartAsync(relay);
        var users = gateway.WriteUsers("users", await Htpasswd.ToolAsync("-B", "alice", "s3cret!"), Htpasswd.BCryptLine("bob", "hunter2"));
        await gateway.PublishAsync($"ingress.auth.basic.usersfile={users}", "ingress.auth.basic.realm=Staff only");

        foreach (var (user, password) in new[] { ("alice", "s3cret!"), ("bob", "hunter2"), ("alice", "s3cret!") })
        {
            var passed = await gateway.SendAsync("/a", user, password);
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            Assert.Equal("web", await passed.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, gateway.Backend.Requests.Count);
        // Traefik's default (removeHeader=false): the replica gets the Authorization header.
        Assert.All(gateway.Backend.Requests, r => Assert.StartsWith("Basic ", r.Headers["Authorization"], StringComparison.Ordinal));
        gateway.Backend.Requests.Clear();
        var before = await gateway.MetricAsync(Unauthorized);

        foreach (var (user, password) in new (string?, string?)[] { ("alice", "wrong"), ("alice", "S3cret!"), ("mallory", "s3cret!"), ("bob", "s3cret!"), (null, null), ("", "") })
        {
            var refused = await gateway.SendAsync("/a", user, password);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic realm=\"Staff only\"", Assert.Single(refused.Headers.WwwAuthenticate).ToString());
        }

        var malformed = await gateway.SendAsync("/a", headers: ("Authorization", "Basic !!notbase64"));
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
        var bearer = await gateway.SendAsync("/a", headers: ("Authorization", "Bearer abc"));
        Assert.Equal(HttpStatusCode.Unauthorized, bearer.StatusCode);

        Assert.Empty(gateway.Backend.Requests);
        Assert.Equal(8, await gateway.MetricAsync(Unauthorized) - before);
        // With the relay on, every connection went through the hand-off to the YARP path, as a policy route.
        Assert.Equal(relay, await gateway.MetricAsync($"ingress_relay_handoffs_total{{entrypoint=\"{gateway.Gateway.EntryPorts[0]}\",reason=\"policy\"}}") > 0);
    }

    private const string Unauthorized = "ingress_policy_rejections_total{service=\"web\",policy=\"basic\",reason=\"unauthorized\"}";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BasicAuth_RemoveHeaderAndHeaderField_TheReplicaGetsTheUserNotTheCredentials(bool relay)
    {
        await using var gateway = await AccessGateway.StartAsync(relay);
        var users = gateway.WriteUsers("users", Htpasswd.BCryptLine("alice", "pw"));
        await gateway.PublishAsync($"ingress.auth.basic.usersfile={users}", "ingress.auth.basic.removeheader=true", "ingress.auth.basic.headerfield=X-WebAuth-User");

        var response = await gateway.SendAsync("/", "alice", "pw", ("X-WebAuth-User", "admin"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(gateway.Backend.Requests);
        Assert.False(received.Headers.ContainsKey("Authorization"));
        Assert.Equal("alice", received.Headers["X-WebAuth-User"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BasicAuth_UsersFileRotated_TheNewPasswordPasses_AndTheCachedOldOneIsRefused(bool relay)
    {
        await using var gateway = await AccessGateway.StartAsync(relay);
        var users = gateway.WriteUsers("users", Htpasswd.BCryptLine("alice", "old"), Htpasswd.BCryptLine("bob", "b"));
        await gateway.PublishAsync($"ingress.auth.basic.usersfile={users}");
        Assert.Equal(HttpStatusCode.OK, (await gateway.SendAsync("/", "alice", "old")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.SendAsync("/", "alice", "old")).StatusCode); // from the cache now

        // The secret rotated in place (a bind mount, or a file rewritten): alice's password changes, bob is removed.
        gateway.WriteUsers("users", Htpasswd.BCryptLine("alice", "new"));
        await Eventually.WaitUntilAsync(async () => (await gateway.SendAsync("/", "alice", "new")).StatusCode == HttpStatusCode.OK, "the new password to pass");

        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SendAsync("/", "alice", "old")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SendAsync("/", "bob", "b")).StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BasicAuth_MissingOrMalformedUsersFile_FailsClosed_ShowsOnApiState_AndRecovers(bool relay)
    {
        await using var gateway = await AccessGateway.StartAsync(relay);
        var users = Path.Combine(gateway.Folder, "users");
        await gateway.PublishAsync($"ingress.auth.basic.usersfile={users}");

        var missing = await gateway.SendAsync("/", "alice", "pw");
        Assert.Equal(HttpStatusCode.InternalServerError, missing.StatusCode);
        Assert.Contains($"basicAuth={users}: refusing every request (500): the file does not exist (is the secret mounted into the gateway?)", await gateway.PoliciesAsync());

        gateway.WriteUsers("users", Htpasswd.BCryptLine("alice", "pw"), "bob:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=");
        await Eventually.WaitUntilAsync(
            async () => (await gateway.PoliciesAsync()).Contains($"basicAuth={users}: refusing every request (500): line 2: a SHA-1 hash is not accepted: only bcrypt ($2y$, from htpasswd -B)"),
            "the malformed file on /api/state");
        Assert.Equal(HttpStatusCode.InternalServerError, (await gateway.SendAsync("/", "alice", "pw")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await gateway.SendAsync("/")).StatusCode);
        Assert.Empty(gateway.Backend.Requests);
        Assert.True(await gateway.MetricAsync("ingress_policy_rejections_total{service=\"web\",policy=\"basic\",reason=\"users_file\"}") >= 3);

        gateway.WriteUsers("users", Htpasswd.BCryptLine("alice", "pw"));
        await Eventually.WaitUntilAsync(async () => (await gateway.SendAsync("/", "alice", "pw")).StatusCode == HttpStatusCode.OK, "the fixed file to let alice in");
        Assert.Contains((await gateway.PoliciesAsync()), p => p.StartsWith($"basicAuth={users}: 1 users", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BasicAuth_OnAStaticReverseProxyRoute_FromItsMetadata()
    {
        var folder = Directory.CreateTempSubdirectory("ingress-access-").FullName;
        try
        {
            var users = Path.Combine(folder, "users");
            File.WriteAllText(users, Htpasswd.BCryptLine("alice", "pw"));
            await using var backend = await TestBackend.StartAsync("static");
            var settings = StaticRoutes.CatchAll([backend]);
            settings["ReverseProxy:Routes:all:Metadata:ingress.auth.basic.usersfile"] = users;
            settings["ReverseProxy:Routes:all:Metadata:ingress.auth.basic.realm"] = "static";
            await using var gateway = await GatewayTestHost.StartAsync(settings);

            var refused = await gateway.Public.GetAsync("/x");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic realm=\"static\"", Assert.Single(refused.Headers.WwwAuthenticate).ToString());

            using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
            request.Headers.Authorization = new("Basic", Convert.ToBase64String("alice:pw"u8));
            Assert.Equal(HttpStatusCode.OK, (await gateway.Public.SendAsync(request)).StatusCode);
            Assert.Single(backend.Requests);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
