using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Tls;

/// <summary>The real gateway with a TLS entry port, real backends, certificates in a folder, and real TLS clients.</summary>
public abstract class TlsEntryPortTests(bool relay)
{
    [Fact]
    public async Task Handshake_ChoosesTheCertificateBySni_ExactWildcardUnknownAndNone()
    {
        using var certificates = new TestCertificates();
        var fallback = certificates.WriteCombined("default.pem", "default.test");
        var exact = certificates.WriteCombined("shop.pem", "shop.example.test");
        var wildcard = certificates.WriteSeparate("wildcard.crt", "*.example.test");
        await using var tls = await StartAsync(certificates, new Dictionary<string, string?> { ["Ingress:Tls:DefaultCertificate"] = "default.pem" });

        Assert.Equal(exact.Thumbprint, (await TlsClient.HandshakeAsync(tls.Port, "shop.example.test")).Certificate.Thumbprint);
        Assert.Equal(wildcard.Thumbprint, (await TlsClient.HandshakeAsync(tls.Port, "blog.example.test")).Certificate.Thumbprint);
        Assert.Equal(fallback.Thumbprint, (await TlsClient.HandshakeAsync(tls.Port, "unknown.test")).Certificate.Thumbprint);
        Assert.Equal(fallback.Thumbprint, (await TlsClient.HandshakeAsync(tls.Port, serverName: null)).Certificate.Thumbprint);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Handshake_Tls12And13_AreAccepted(SslProtocols protocol)
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates);

        var handshake = await TlsClient.HandshakeAsync(tls.Port, "site.test", protocol);

        Assert.Equal(protocol, handshake.Version);
    }

#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 are obsolete: the point is that the gateway refuses them.
    [Theory]
    [InlineData(SslProtocols.Tls)]
    [InlineData(SslProtocols.Tls11)]
    public async Task Handshake_Tls10And11_AreRefused(SslProtocols protocol)
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates);

        var ex = await Record.ExceptionAsync(() => TlsClient.HandshakeAsync(tls.Port, "site.test", protocol));

        Assert.True(ex is AuthenticationException or IOException, $"Expected a failed handshake, got {ex?.GetType().Name ?? "success"}");
    }
#pragma warning restore SYSLIB0039

    [Fact]
    public async Task Handshake_RawClientHelloOfferingAtMostTls11_GetsNoServerHello()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates);

        // The same hand-made hello offering TLS 1.2 gets a ServerHello (a handshake record), so the refusal of the
        // TLS 1.1 one is the server's, not a malformed hello's.
        Assert.Equal(0x16, await RawClientHello.FirstRecordTypeAsync(tls.Port, 0x0303, "site.test"));
        Assert.NotEqual(0x16, await RawClientHello.FirstRecordTypeAsync(tls.Port, 0x0302, "site.test"));
    }

    [Fact]
    public async Task Handshake_Alpn_NegotiatesH2OrHttp11()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates);

        var h2 = await TlsClient.HandshakeAsync(tls.Port, "site.test", alpn: [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]);
        var http11 = await TlsClient.HandshakeAsync(tls.Port, "site.test", alpn: [SslApplicationProtocol.Http11]);

        Assert.Equal(SslApplicationProtocol.Http2, h2.Protocol);
        Assert.Equal(SslApplicationProtocol.Http11, http11.Protocol);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Request_OverTls_ReachesTheBackendWithForwardedProtoHttps(string version)
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates);
        using var client = TlsClient.HttpClient(certificates, tls.Port, Version.Parse(version));

        using var response = await client.GetAsync($"https://site.test:{tls.Port}/hello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(version), response.Version);
        Assert.Equal("backend", await response.Content.ReadAsStringAsync());
        var request = Assert.Single(tls.Backend.Requests);
        Assert.Equal("/hello", request.PathAndQuery);
        Assert.Equal("https", request.Headers["X-Forwarded-Proto"]);
        Assert.Equal("site.test:" + tls.Port, request.Headers["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task Request_OverTls_WithAWrongName_FailsValidationAtTheClient()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates);
        using var client = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version11);

        // The default certificate is served for an unknown name, and a client that checks names refuses it.
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"https://other.test:{tls.Port}/"));
        Assert.Empty(tls.Backend.Requests);
    }

    [Fact]
    public async Task Reload_ACertificateAddedToTheFolder_IsServedWithoutRestart_AndOpenConnectionsStay()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("a.pem", "a.test");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var tls = await StartAsync(certificates, time: time);
        using var client = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version11);
        Assert.Equal("backend", await client.GetStringAsync($"https://a.test:{tls.Port}/"));

        var added = certificates.WriteCombined("b.pem", "b.test");
        await Eventually.WaitAsync(
            async () =>
            {
                time.Advance(TimeSpan.FromSeconds(10));
                return (await TlsClient.HandshakeAsync(tls.Port, "b.test")).Certificate.Thumbprint;
            },
            thumbprint => thumbprint == added.Thumbprint,
            TimeSpan.FromSeconds(15),
            "the added certificate served for b.test");

        // The connection made before the reload is still open and still served.
        Assert.Equal("backend", await client.GetStringAsync($"https://a.test:{tls.Port}/again"));
        Assert.Equal(2, tls.Backend.Requests.Count);
    }

    [Fact]
    public async Task State_BadAndExpiredFiles_AreShownAndLogged_GoodOnesServed_AndNoKeyAppears()
    {
        using var certificates = new TestCertificates();
        var (_, goodPem, goodKey) = certificates.Issue(["good.test"]);
        certificates.Write("good.pem", goodPem + "\n" + goodKey);
        var (_, expiredPem, expiredKey) = certificates.Issue(["old.test"], DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        certificates.Write("expired.pem", expiredPem + "\n" + expiredKey);
        certificates.Write("garbage.pem", "not a certificate at all");
        var log = new RecordingLogger<CertificateStore>();
        await using var tls = await StartAsync(certificates, log: log);
        using var client = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version11);

        Assert.Equal("backend", await client.GetStringAsync($"https://good.test:{tls.Port}/"));
        var state = await tls.Gateway.Admin.GetStringAsync("/api/state");

        Assert.Contains("\"good.pem\"", state);
        Assert.Contains("\"good.test\"", state);
        Assert.Contains("expired.pem", state);
        Assert.Contains("expired on ", state);
        Assert.Contains("garbage.pem", state);
        Assert.Contains("holds no PEM certificate", state);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("expired.pem", StringComparison.Ordinal) && e.Message.Contains("expired on", StringComparison.Ordinal));
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("garbage.pem", StringComparison.Ordinal));

        var metrics = await tls.Gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains("ingress_tls_certificates 1", metrics);
        Assert.Contains("ingress_tls_certificate_errors 2", metrics);

        foreach (var text in new[] { state, metrics, string.Join('\n', log.Entries.Select(e => e.Message)) })
        {
            Assert.DoesNotContain("PRIVATE KEY", text);
            Assert.DoesNotContain(KeyBody(goodKey), text);
            Assert.DoesNotContain(KeyBody(expiredKey), text);
        }
    }

    [Fact]
    public async Task Connections_OnTheTlsPort_AreCappedLikeTheEntryPorts()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await StartAsync(certificates, new Dictionary<string, string?> { ["Ingress:Limits:MaxConnectionsPerEntryPort"] = "1" });
        using var first = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version11);
        Assert.Equal("backend", await first.GetStringAsync($"https://site.test:{tls.Port}/"));

        // The first client keeps its connection open; a second one is closed on before its handshake completes.
        var ex = await Record.ExceptionAsync(() => TlsClient.HandshakeAsync(tls.Port, "site.test"));

        Assert.True(ex is AuthenticationException or IOException or System.Net.Sockets.SocketException, $"Expected a closed connection, got {ex?.GetType().Name ?? "success"}");
        var metrics = await tls.Gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains($"ingress_refused_connections_total{{entrypoint=\"{tls.Port}\"}} 1", metrics);
    }

    /// <summary>A gateway whose TLS port is served by the relay's TLS, or by Kestrel's (<c>Ingress:Transport:Relay</c>).</summary>
    private Task<TlsGateway> StartAsync(
        TestCertificates certificates, Dictionary<string, string?>? extra = null, TimeProvider? time = null, RecordingLogger<CertificateStore>? log = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []) { ["Ingress:Transport:Relay"] = relay ? "true" : "false" };
        return TlsGateway.StartAsync(certificates, settings, time, log);
    }

    private static string KeyBody(string pem) => pem.Split('\n')[1].Trim();
}

/// <summary>The TLS entry port tests with the relay terminating TLS (the default).</summary>
public sealed class TlsEntryPortRelayTests() : TlsEntryPortTests(relay: true);

/// <summary>The TLS entry port tests with the relay off: Kestrel's TLS (SslStream) and the YARP path.</summary>
public sealed class TlsEntryPortKestrelTests() : TlsEntryPortTests(relay: false);
