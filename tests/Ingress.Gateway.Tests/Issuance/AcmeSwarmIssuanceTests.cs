using System.Globalization;
using System.Text.Json;
using Ingress.Gateway.Issuance;
using Ingress.Gateway.Tests.Acme;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Ingress.Gateway.Tests.Common.Swarm;
using static Ingress.Gateway.Tests.Issuance.AcmeIssuanceTests;

namespace Ingress.Gateway.Tests.Issuance;

/// <summary>
/// ACME across gateways on a real control channel, against a real pebble: the issuing manager gateway orders once; a
/// follower (a worker's gateway) answers pebble's validation itself with the issuer's account thumbprint, receives the
/// certificate, keeps it and serves it, and never orders.
/// </summary>
/// <remarks>
/// The manager here stands for the gateway on the swarm's leader: it is told it issues (<see cref="StandaloneIssuer"/>),
/// since its Docker source is the test. Which manager issues is <see cref="Discovery.Docker.SwarmLeadership"/>, tested
/// against the real swarm in Ingress.Swarm.Tests.
/// </remarks>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AcmeSwarmIssuanceTests
{
    private const string Name = "app.ingress.test";

    [Fact]
    public async Task Follower_AnswersTheValidation_ReceivesTheIssuersCertificate_AndNeverOrders()
    {
        await using var pebble = await PebbleServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        using var managerFolders = new Folders();
        using var followerFolders = new Folders();
        using var gateways = new ControlGateways();

        var (manager, controlPort) = await gateways.StartManagerAsync(
            extra: Settings(pebble, managerFolders.Secrets, managerFolders.Storage),
            configure: builder => builder.Services.Replace(ServiceDescriptor.Singleton<IIssuerElection, StandaloneIssuer>()),
            tlsPortCount: 1);
        await using var ownedManager = manager;

        // Pebble validates on the follower's entry port: the follower must answer for a token only the manager published.
        var followerSettings = Settings(pebble, followerFolders.Secrets, followerFolders.Storage);
        followerSettings["Ingress:EntryPorts:0"] = pebble.HttpPort.ToString(CultureInfo.InvariantCulture);
        await using var follower = await gateways.StartFollowerAsync($"127.0.0.1:{controlPort}", extra: followerSettings, tlsPortCount: 1);

        manager.Sink.Publish(Snapshot("docker", Service("app", Labels($"ingress.host={Name}", $"ingress.port={backend.Port}", "ingress.tls.acme=true"), [Task("a1", backend.Ip)])));

        var onFollower = await Eventually.WaitAsync(
            () => TryHandshakeAsync(follower.TlsPorts[0], Name), c => c is not null && c.Issuer != c.Subject, TimeSpan.FromSeconds(60), "the follower to serve the ACME certificate");
        var onManager = await TryHandshakeAsync(manager.TlsPorts[0], Name);
        Assert.Equal(onManager?.Thumbprint, onFollower!.Thumbprint);
        Assert.Contains(Name, CertificateFolder.DnsNames(onFollower));

        // Ordered once, by the manager; the follower received it, keeps it for its user alone, and sees it as valid.
        Assert.Contains("ingress_acme_orders_total{result=\"issued\"} 1", await manager.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        Assert.DoesNotContain("ingress_acme_orders_total{", await follower.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(followerFolders.Storage, "certificates", $"{Name}.pem")));
        Assert.False(File.Exists(Path.Combine(followerFolders.Storage, "account.key")), "a follower has no account key");
        await Eventually.WaitAsync(
            async () => (await AcmeCertificateAsync(follower))?.GetProperty("state").GetString(), s => s == "valid", TimeSpan.FromSeconds(10), "the follower to see the certificate as valid");

        using var followerState = JsonDocument.Parse(await follower.Admin.GetStringAsync("/api/state"));
        var acme = followerState.RootElement.GetProperty("acme");
        Assert.Equal("follower", acme.GetProperty("role").GetString());
        Assert.False(acme.GetProperty("issuer").GetBoolean());
        using var managerState = JsonDocument.Parse(await manager.Admin.GetStringAsync("/api/state"));
        Assert.True(managerState.RootElement.GetProperty("acme").GetProperty("issuer").GetBoolean());
    }
}
