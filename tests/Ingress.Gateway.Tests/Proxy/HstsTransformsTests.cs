using System.Net;
using Ingress.Gateway.Tests.Tls;
using static Ingress.Gateway.Tests.Proxy.RouteRedirectTests;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary><c>ingress.hsts.*</c> on the real gateway: the header on responses sent over TLS, never over cleartext.</summary>
public sealed class HstsTransformsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Hsts_OverTls_IsSent_OverCleartext_IsNot_AndTheRelayKeepsTheRoute(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay, "ingress.hsts.maxage=31536000", "ingress.hsts.includesubdomains=true");
        using var client = TlsClient.LoopbackClient(certificates, followRedirects: false);

        using var overTls = await client.GetAsync($"https://site.test:{tls.Port}/a");
        using var http2 = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version20);
        using var overTls2 = await http2.GetAsync($"https://site.test:{tls.Port}/b");
        using var cleartext = await client.GetAsync($"http://site.test:{tls.Gateway.EntryPorts[0]}/c");

        Assert.Equal(HttpStatusCode.OK, overTls.StatusCode);
        Assert.Equal("max-age=31536000; includeSubDomains", Assert.Single(overTls.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("max-age=31536000; includeSubDomains", Assert.Single(overTls2.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal(HttpStatusCode.OK, cleartext.StatusCode);
        Assert.False(cleartext.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(3, tls.Backend.Requests.Count);

        // HSTS asks nothing of the cleartext path: the relay forwards the route itself, with no hand-off. Over TLS the
        // YARP path adds the header: the relay hands HTTP/1.1 over as "policy" (HTTP/2 goes to Kestrel anyway).
        var metrics = await tls.Gateway.Admin.GetStringAsync("/metrics");
        var plain = $"ingress_relay_handoffs_total{{entrypoint=\"{tls.Gateway.EntryPorts[0]}\",";
        Assert.DoesNotContain(metrics.Split('\n'), line => line.StartsWith(plain, StringComparison.Ordinal) && !line.EndsWith(" 0", StringComparison.Ordinal));
        if (relay)
        {
            Assert.Matches(System.Text.RegularExpressions.Regex.Escape($"ingress_relay_handoffs_total{{entrypoint=\"{tls.Port}\",reason=\"policy\"}} ") + "[1-9]", metrics);
            Assert.Contains($"ingress_relay_handoffs_total{{entrypoint=\"{tls.Port}\",reason=\"h2\"}} 1", metrics);
        }
    }

    [Fact]
    public async Task Hsts_WithoutTheLabel_IsNotSentOverTls()
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay: true, "ingress.lb=round_robin");
        using var client = TlsClient.LoopbackClient(certificates, followRedirects: false);

        using var response = await client.GetAsync($"https://site.test:{tls.Port}/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }
}
