using System.Globalization;
using System.Net;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tests.Tls;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// <c>ingress.redirect.*</c> on the real gateway: a plain entry port served by the relay or by Kestrel and YARP, a TLS
/// port serving the same routes, a real backend, and clients that send exact bytes or follow redirects as browsers do.
/// </summary>
public sealed class RouteRedirectTests
{
    [Theory]
    [InlineData(true, "/")]
    [InlineData(false, "/")]
    [InlineData(true, "/a/b?x=1&y=2")]
    [InlineData(false, "/a/b?x=1&y=2")]
    [InlineData(true, "/caf%C3%A9/%2F%20x?q=%41%2b&r=a+b&&s")]
    [InlineData(false, "/caf%C3%A9/%2F%20x?q=%41%2b&r=a+b&&s")]
    [InlineData(true, "/p/./q/?")]
    [InlineData(false, "/p/./q/?")]
    public async Task CleartextRequest_RedirectSchemeHttps_Gets308ToTheTlsPortWithPathAndQueryByteForByte(bool relay, string target)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay, "ingress.redirect.scheme=https");

        var (status, headers) = await RawGetAsync(tls.Gateway.EntryPorts[0], target, $"Site.Test:{tls.Gateway.EntryPorts[0]}");

        Assert.Equal("HTTP/1.1 308 Permanent Redirect", status);
        // The TLS port is the gateway's only one, so it is the default port of the Location; the host keeps its spelling.
        Assert.Equal($"https://Site.Test:{tls.Port}{target}", headers["Location"]);
        Assert.False(headers.ContainsKey("Strict-Transport-Security"));
        Assert.Empty(tls.Backend.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CleartextRequest_RedirectSchemeHttps_IsAnsweredByTheYarpPath_CountedAsARedirectHandoff(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay, "ingress.redirect.scheme=https", "ingress.redirect.port=443");

        var (status, headers) = await RawGetAsync(tls.Gateway.EntryPorts[0], "/x?y", "site.test");

        Assert.Equal("HTTP/1.1 308 Permanent Redirect", status);
        Assert.Equal("https://site.test/x?y", headers["Location"]);
        var metrics = await tls.Gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains($"ingress_requests_total{{entrypoint=\"{tls.Gateway.EntryPorts[0]}\",service=\"web\",method=\"GET\",code=\"308\"}}", metrics);
        Assert.Equal(relay, metrics.Contains($"ingress_relay_handoffs_total{{entrypoint=\"{tls.Gateway.EntryPorts[0]}\",reason=\"redirect\"}}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CleartextPost_RedirectSchemeHttps_Gets308_AndTheClientResendsMethodAndBodyOverTls(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay, "ingress.redirect.scheme=https");
        var url = $"http://site.test:{tls.Gateway.EntryPorts[0]}/form?id=7";
        using var plain = TlsClient.LoopbackClient(certificates, followRedirects: false);
        using var browser = TlsClient.LoopbackClient(certificates, followRedirects: true);

        using var redirect = await plain.PostAsync(url, new StringContent("name=value"));
        using var followed = await browser.PostAsync(url, new StringContent("name=value"));

        Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
        Assert.Equal($"https://site.test:{tls.Port}/form?id=7", redirect.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        Assert.Equal("backend", await followed.Content.ReadAsStringAsync());
        var received = Assert.Single(tls.Backend.Requests);
        Assert.Equal("POST", received.Method);
        Assert.Equal("/form?id=7", received.PathAndQuery);
        Assert.Equal("https", received.Headers["X-Forwarded-Proto"]);
        Assert.Equal("name=value", tls.Backend.LastBody);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task TlsRequest_RedirectSchemeHttps_IsForwardedNotRedirected(string version)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay: true, "ingress.redirect.scheme=https");
        using var client = TlsClient.HttpClient(certificates, tls.Port, Version.Parse(version));

        using var response = await client.GetAsync($"https://site.test:{tls.Port}/x?y=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backend", await response.Content.ReadAsStringAsync());
        Assert.Equal("/x?y=1", Assert.Single(tls.Backend.Requests).PathAndQuery);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CleartextRequest_WithoutHost_RedirectSchemeHttps_Gets400NotAnEmptyLocation(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay, "ingress.redirect.scheme=https");
        using var client = await RawHttpClient.ConnectAsync(tls.Gateway.EntryPorts[0]);

        await client.SendAsync("GET /x HTTP/1.0\r\n\r\n");
        var response = await client.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Location:", response, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(tls.Backend.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CleartextRequest_RedirectNotPermanent_Gets307(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(certificates, relay, "ingress.redirect.scheme=https", "ingress.redirect.permanent=false");

        var (status, headers) = await RawGetAsync(tls.Gateway.EntryPorts[0], "/t", "site.test");

        Assert.Equal("HTTP/1.1 307 Temporary Redirect", status);
        Assert.Equal($"https://site.test:{tls.Port}/t", headers["Location"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CleartextRequest_RedirectSchemeHttps_WithNoReplica_StillGets308(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await TlsGateway.StartAsync(certificates, RelaySetting(relay), catchAll: false);
        tls.Gateway.Sink.Publish(Snapshot("docker", Service("web", Labels($"ingress.publish={tls.Gateway.EntryPorts[0]}:{tls.Backend.Port}", "ingress.redirect.scheme=https"), [])));

        var status = await Eventually.WaitAsync(
            async () => (await RawGetAsync(tls.Gateway.EntryPorts[0], "/", "site.test")).Status, s => !s.Contains("404", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the service to be routed");

        // A redirect needs no replica: it is answered before load balancing, which would answer 503 here.
        Assert.Equal("HTTP/1.1 308 Permanent Redirect", status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HostRedirect_WwwToApex_RedirectsOtherHostsOnly_KeepingSchemeAndPort(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await StartAsync(
            certificates, relay, ["site.test", "www.site.test"], "ingress.host=www.site.test,site.test", "ingress.redirect.host=site.test", "ingress.hsts.maxage=300");
        var entry = tls.Gateway.EntryPorts[0];
        using var client = TlsClient.LoopbackClient(certificates, followRedirects: false);

        var (status, headers) = await RawGetAsync(entry, "/p?q=%20", $"WWW.site.test:{entry}");
        using var apex = await client.GetAsync($"http://site.test:{entry}/p");
        using var overTls = await client.GetAsync($"https://www.site.test:{tls.Port}/p?q");
        using var apexOverTls = await client.GetAsync($"https://site.test:{tls.Port}/p");

        Assert.Equal("HTTP/1.1 308 Permanent Redirect", status);
        Assert.Equal($"http://site.test:{entry}/p?q=%20", headers["Location"]);
        Assert.False(headers.ContainsKey("Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.OK, apex.StatusCode);
        Assert.Equal(HttpStatusCode.PermanentRedirect, overTls.StatusCode);
        Assert.Equal($"https://site.test:{tls.Port}/p?q", overTls.Headers.Location!.OriginalString);
        Assert.Equal("max-age=300", Assert.Single(overTls.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal(HttpStatusCode.OK, apexOverTls.StatusCode);
        Assert.Equal(2, tls.Backend.Requests.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BadRedirectLabel_SkipsOnlyThatService_WithTheLabelAndReasonShown(bool relay)
    {
        using var certificates = new TestCertificates();
        await using var tls = await TlsGateway.StartAsync(certificates, RelaySetting(relay), catchAll: false);
        var port = tls.Backend.Port.ToString(CultureInfo.InvariantCulture);
        tls.Gateway.Sink.Publish(Snapshot(
            "docker",
            Service("good", Labels("ingress.host=good.test", $"ingress.port={port}", "ingress.redirect.scheme=https"), [Task("g1", tls.Backend.Ip)]),
            Service("bad", Labels("ingress.host=bad.test", $"ingress.port={port}", "ingress.redirect.scheme=ftp"), [Task("b1", tls.Backend.Ip)])));

        var good = await Eventually.WaitAsync(
            async () => (await RawGetAsync(tls.Gateway.EntryPorts[0], "/", "good.test")).Status, s => !s.Contains("404", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the good service to be routed");
        var (bad, _) = await RawGetAsync(tls.Gateway.EntryPorts[0], "/", "bad.test");
        var state = await tls.Gateway.Admin.GetStringAsync("/api/state");
        var metrics = await tls.Gateway.Admin.GetStringAsync("/metrics");

        Assert.Equal("HTTP/1.1 308 Permanent Redirect", good);
        Assert.Equal("HTTP/1.1 404 Not Found", bad);
        Assert.Contains("ingress.redirect.scheme=ftp: expected https or http", state);
        Assert.Contains("ingress_invalid_services 1", metrics);
        Assert.Contains("ingress_invalid_labels_total{service=\"bad\"}", metrics);
    }

    /// <summary>A TLS gateway (relay on or off) with the service <c>web</c> published on its entry port, routed, and labelled <paramref name="labels"/>.</summary>
    internal static Task<TlsGateway> StartAsync(TestCertificates certificates, bool relay, params string[] labels) =>
        StartAsync(certificates, relay, ["site.test"], labels);

    internal static async Task<TlsGateway> StartAsync(TestCertificates certificates, bool relay, string[] names, params string[] labels)
    {
        certificates.WriteCombined("site.pem", names);
        var tls = await TlsGateway.StartAsync(certificates, RelaySetting(relay), catchAll: false);
        var entry = tls.Gateway.EntryPorts[0];
        string[] route = labels.Any(l => l.StartsWith("ingress.host=", StringComparison.Ordinal))
            ? [$"ingress.port={tls.Backend.Port}"]
            : [$"ingress.publish={entry}:{tls.Backend.Port}"];
        tls.Gateway.Sink.Publish(Snapshot("docker", Service("web", Labels([.. route, .. labels]), [Task("t1", tls.Backend.Ip)])));
        using var client = TlsClient.LoopbackClient(certificates, followRedirects: false);
        await Eventually.WaitAsync(
            async () => (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"https://{names[0]}:{tls.Port}/"))).StatusCode,
            s => s != HttpStatusCode.NotFound, TimeSpan.FromSeconds(10), "the service to be routed");
        tls.Backend.Requests.Clear();
        return tls;
    }

    internal static Dictionary<string, string?> RelaySetting(bool relay) =>
        new() { ["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture) };

    /// <summary>Sends exactly <c>GET target</c> with <paramref name="host"/> (and <paramref name="headers"/> lines) and returns the status line and the headers.</summary>
    internal static async Task<(string Status, Dictionary<string, string> Headers)> RawGetAsync(int port, string target, string host, params string[] headers)
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: {host}\r\n{string.Concat(headers.Select(h => h + "\r\n"))}Connection: close\r\n\r\n");
        var response = await client.ReadUntilAsync(text => text.Contains("\r\n\r\n", StringComparison.Ordinal));
        var lines = response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        var received = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        return (lines[0], received);
    }
}
