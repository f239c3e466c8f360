using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ingress.Gateway.Tests.Acme;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tests.Tls;
using Ingress.Gateway.Tls;
using Ingress.Testing.Acme;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Issuance;

/// <summary>
/// <c>ingress.tls.acme=true</c> end to end against a real pebble: the gateway orders the certificate, answers pebble's
/// HTTP-01 validation on its entry port (through the relay's hand-over, or Kestrel), keeps what it got, and serves it
/// on its TLS port; a restart serves the kept certificate without ordering again; a failing order is reported and
/// retried after its backoff.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AcmeIssuanceTests
{
    private const string Name = "app.ingress.test";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LabelledService_GetsACertificateFromPebble_ServedOnTheTlsPort(bool relay)
    {
        await using var pebble = await PebbleServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        using var folders = new Folders();
        await using var gateway = await StartGatewayAsync(pebble, pebble.HttpPort, folders, relay);
        PublishService(gateway, backend);

        var served = await Eventually.WaitAsync(
            () => TryHandshakeAsync(gateway.TlsPort, Name), c => c is not null && c.Issuer != c.Subject, TimeSpan.FromSeconds(60), "the ACME certificate to be served");

        // The certificate is pebble's, for the name, and chains to pebble's root.
        using var root = await pebble.GetIssuingRootAsync();
        using var intermediate = await pebble.GetIssuingIntermediateAsync();
        Assert.Contains(Name, CertificateFolder.DnsNames(served!));
        Assert.True(ChainsTo(served!, intermediate, root), "the served certificate does not chain to pebble's issuing root");

        // A request over TLS reaches the service.
        using var client = HttpsClient(gateway.TlsPort, root);
        Assert.Equal("app", await client.GetStringAsync(new Uri($"https://{Name}/")));

        // The state says valid, with the file and the renewal two thirds in; the metric counts one order.
        using var state = JsonDocument.Parse(await gateway.Host.Admin.GetStringAsync("/api/state"));
        var certificate = Assert.Single(state.RootElement.GetProperty("acme").GetProperty("certificates").EnumerateArray());
        Assert.Equal("valid", certificate.GetProperty("state").GetString());
        Assert.Equal($"{Name}.pem", certificate.GetProperty("file").GetString());
        Assert.Equal(["app"], certificate.GetProperty("services").EnumerateArray().Select(s => s.GetString()));
        var notBefore = new DateTimeOffset(served!.NotBefore.ToUniversalTime());
        var notAfter = certificate.GetProperty("notAfter").GetDateTimeOffset();
        Assert.Equal(notBefore + (notAfter - notBefore) * 2 / 3, certificate.GetProperty("renewAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        var metrics = await gateway.Host.Admin.GetStringAsync("/metrics");
        Assert.Contains("ingress_acme_orders_total{result=\"issued\"} 1", metrics, StringComparison.Ordinal);
        if (relay)
        {
            // Pebble's validation requests came to the relay, which hands every target with a dot segment such as
            // /.well-known/ to Kestrel, where the gateway's own responder answers before any route.
            Assert.Matches(new System.Text.RegularExpressions.Regex("ingress_relay_handoffs_total\\{entrypoint=\"\\d+\",reason=\"target\"\\} [1-9]"), metrics);
        }

        // Kept for the gateway's user alone: the account key and the certificate with its key.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folders.Storage, "account.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folders.Storage, "certificates", $"{Name}.pem")));

        // No private key in what the admin port shows.
        Assert.DoesNotContain("PRIVATE KEY", state.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_ServesTheKeptCertificate_WithoutOrderingAgain()
    {
        await using var pebble = await PebbleServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        using var folders = new Folders();
        X509Certificate2 first;
        await using (var gateway = await StartGatewayAsync(pebble, pebble.HttpPort, folders, relay: true))
        {
            PublishService(gateway, backend);
            first = (await Eventually.WaitAsync(
                () => TryHandshakeAsync(gateway.TlsPort, Name), c => c is not null && c.Issuer != c.Subject, TimeSpan.FromSeconds(60), "the first certificate"))!;
        }

        await using var restarted = await StartGatewayAsync(pebble, pebble.HttpPort, folders, relay: true);

        // Served at once, from the folder, before discovery has even said which services want one.
        var served = await TryHandshakeAsync(restarted.TlsPort, Name);
        Assert.Equal(first.Thumbprint, served?.Thumbprint);

        PublishService(restarted, backend);
        await Eventually.WaitAsync(
            async () => (await AcmeCertificateAsync(restarted))?.GetProperty("state").GetString(), s => s == "valid", TimeSpan.FromSeconds(20), "the kept certificate to be seen as valid");
        Assert.DoesNotContain("ingress_acme_orders_total{", await restarted.Host.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HeldCertificate_IsRenewedOnlyOnceTwoThirdsOfItsLifetimeHavePassed(bool due)
    {
        // A certificate already held (made by another CA), 3 days of a 4-day life gone (due: renewal at 2/3),
        // or 1 day of a 30-day life gone (not due).
        await using var pebble = await PebbleServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        using var folders = new Folders();
        using var other = new TestCertificates();
        var now = DateTimeOffset.UtcNow;
        var (held, pem, key) = other.Issue([Name], now.AddDays(due ? -3 : -1), now.AddDays(due ? 1 : 29));
        Directory.CreateDirectory(Path.Combine(folders.Storage, "certificates"));
        File.WriteAllText(Path.Combine(folders.Storage, "certificates", $"{Name}.pem"), pem + "\n" + key);
        await using var gateway = await StartGatewayAsync(pebble, pebble.HttpPort, folders, relay: true);
        Assert.Equal(held.Thumbprint, (await TryHandshakeAsync(gateway.TlsPort, Name))?.Thumbprint);
        PublishService(gateway, backend);

        if (due)
        {
            // Replaced by pebble's, in the folder and on the TLS port; the old one was served until then.
            var renewed = await Eventually.WaitAsync(
                () => TryHandshakeAsync(gateway.TlsPort, Name), c => c is not null && c.Thumbprint != held.Thumbprint, TimeSpan.FromSeconds(60), "the renewed certificate");
            using var intermediate = await pebble.GetIssuingIntermediateAsync();
            Assert.Equal(intermediate.Subject, renewed!.Issuer);
            Assert.Contains("ingress_acme_orders_total{result=\"issued\"} 1", await gateway.Host.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        else
        {
            // Valid and not due: kept, served, and nothing ordered over several checks.
            await Eventually.WaitAsync(
                async () => (await AcmeCertificateAsync(gateway))?.GetProperty("state").GetString(), s => s == "valid", TimeSpan.FromSeconds(10), "the held certificate to be seen as valid");
            await Continually.HoldsAsync(
                async () => !(await gateway.Host.Admin.GetStringAsync("/metrics")).Contains("ingress_acme_orders_total{", StringComparison.Ordinal),
                TimeSpan.FromSeconds(2), "no order for a certificate that is not due");
            Assert.Equal(held.Thumbprint, (await TryHandshakeAsync(gateway.TlsPort, Name))?.Thumbprint);
        }
    }

    [Fact]
    public async Task FailingValidation_IsReportedWithTheReason_AndRetriedAfterItsBackoff()
    {
        // Pebble validates on its HTTP port, where nothing answers: the gateway listens elsewhere.
        await using var pebble = await PebbleServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("app");
        using var folders = new Folders();
        await using var gateway = await StartGatewayAsync(pebble, FreePort.Next(1)[0], folders, relay: true);
        PublishService(gateway, backend);

        var failing = await Eventually.WaitAsync(
            () => AcmeCertificateAsync(gateway), c => c?.GetProperty("state").GetString() == "failing", TimeSpan.FromSeconds(60), "the order to fail");
        var reason = failing!.Value.GetProperty("lastError").GetString();
        Assert.Contains($"the authorization of {Name} is invalid", reason, StringComparison.Ordinal);
        Assert.Contains("urn:ietf:params:acme:error:connection", reason, StringComparison.Ordinal);
        Assert.Contains("connection refused", reason, StringComparison.Ordinal);
        Assert.True(failing!.Value.GetProperty("nextAttempt").GetDateTimeOffset() > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5));

        // Retried: a second failure after the 1 s backoff, and the metrics say so.
        await Eventually.WaitAsync(
            () => AcmeCertificateAsync(gateway), c => c?.GetProperty("failures").GetInt32() >= 2, TimeSpan.FromSeconds(60), "the order to be tried again");
        var metrics = await gateway.Host.Admin.GetStringAsync("/metrics");
        Assert.Matches("ingress_acme_orders_total\\{result=\"failed\"\\} [2-9]", metrics);
        Assert.Contains("ingress_acme_certificates_failing 1", metrics, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folders.Storage, "certificates", $"{Name}.pem")));
    }

    private static void PublishService(AcmeGateway gateway, TestBackend backend) =>
        gateway.Host.Sink.Publish(Snapshot("docker", Service("app", Labels($"ingress.host={Name}", $"ingress.port={backend.Port}", "ingress.tls.acme=true"), [Task("a1", backend.Ip)])));

    private static async Task<AcmeGateway> StartGatewayAsync(PebbleHost pebble, int entryPort, Folders folders, bool relay)
    {
        var settings = Settings(pebble, folders.Secrets, folders.Storage);
        settings["Ingress:EntryPorts:0"] = entryPort.ToString(CultureInfo.InvariantCulture);
        settings["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture);
        var host = await GatewayTestHost.StartAsync(settings, tlsPortCount: 1);
        return new AcmeGateway(host, host.TlsPorts[0]);
    }

    /// <summary>ACME settings for <paramref name="pebble"/>, with short checks, polls and backoffs.</summary>
    internal static Dictionary<string, string?> Settings(PebbleHost pebble, string secrets, string storage) => new()
    {
        ["Ingress:Tls:CertificatesPath"] = secrets,
        ["Ingress:Acme:DirectoryUrl"] = pebble.DirectoryUrl.AbsoluteUri,
        ["Ingress:Acme:TrustedRootFile"] = pebble.Tls.RootFile,
        ["Ingress:Acme:AcceptTermsOfService"] = "true",
        ["Ingress:Acme:Contacts:0"] = "mailto:ops@ingress.test",
        ["Ingress:Acme:StoragePath"] = storage,
        ["Ingress:Acme:CheckInterval"] = "00:00:00.200",
        ["Ingress:Acme:PollInterval"] = "00:00:00.200",
        ["Ingress:Acme:MinRetryDelay"] = "00:00:01",
        ["Ingress:Acme:MaxRetryDelay"] = "00:00:02",
    };

    private static Task<JsonElement?> AcmeCertificateAsync(AcmeGateway gateway) => AcmeCertificateAsync(gateway.Host);

    /// <summary>The one certificate in the gateway's <c>acme</c> state; null until there is exactly one.</summary>
    internal static async Task<JsonElement?> AcmeCertificateAsync(GatewayTestHost gateway)
    {
        using var state = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/api/state"));
        var certificates = state.RootElement.GetProperty("acme").GetProperty("certificates");
        return certificates.GetArrayLength() == 1 ? certificates[0].Clone() : null;
    }

    internal static async Task<X509Certificate2?> TryHandshakeAsync(int port, string name)
    {
        try
        {
            return (await TlsClient.HandshakeAsync(port, name)).Certificate;
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // No certificate at all yet: the handshake fails.
            return null;
        }
    }

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 intermediate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        return chain.Build(leaf);
    }

    private static HttpClient HttpsClient(int port, X509Certificate2 root)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { root },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    private sealed record AcmeGateway(GatewayTestHost Host, int TlsPort) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }

    internal sealed class Folders : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("ingress-acme-").FullName;

        public Folders()
        {
            Directory.CreateDirectory(Secrets);
        }

        public string Secrets => Path.Combine(_root, "secrets");

        public string Storage => Path.Combine(_root, "storage");

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }
}
