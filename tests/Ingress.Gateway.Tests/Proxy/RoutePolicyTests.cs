using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.RegularExpressions;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tests.Tls;
using static Ingress.Gateway.Tests.Common.Swarm;
using static Ingress.Gateway.Tests.Proxy.RouteRedirectTests;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// The policy labels (<c>ingress.path.strip</c>/<c>.add</c>, <c>ingress.request.headers.*</c>, <c>ingress.response.headers.*</c>,
/// <c>ingress.compress</c>) on the real gateway, with the relay on and off: a real backend sees the request, a real client
/// the response.
/// </summary>
public sealed class RoutePolicyTests
{
    [Theory]
    [InlineData(true, "/v1/items?q=1&r=a+b", "/items?q=1&r=a+b")]
    [InlineData(false, "/v1/items?q=1&r=a+b", "/items?q=1&r=a+b")]
    [InlineData(true, "/V1/items/caf%C3%A9/a%20b?q=%2b%26x&r=a+b", "/items/caf%C3%A9/a%20b?q=%2b%26x&r=a+b")]
    [InlineData(false, "/V1/items/caf%C3%A9/a%20b?q=%2b%26x&r=a+b", "/items/caf%C3%A9/a%20b?q=%2b%26x&r=a+b")]
    [InlineData(true, "/v1", "/")]
    [InlineData(false, "/v1?x", "/?x")]
    public async Task StripPrefix_BackendSeesThePathWithoutIt_AndXForwardedPrefix(bool relay, string target, string forwarded)
    {
        await using var gateway = await StartAsync(relay, "/v1/", "ingress.path=/v1", "ingress.path.strip=true");

        var (status, _) = await RawGetAsync(gateway.Gateway.EntryPorts[0], target, "site.test", "X-Forwarded-Prefix: /forged");

        Assert.Equal("HTTP/1.1 200 OK", status);
        var received = Assert.Single(gateway.Backend.Requests);
        Assert.Equal(forwarded, received.RawTarget);
        Assert.Equal("/v1", received.Headers["X-Forwarded-Prefix"]);
        Assert.Equal("site.test", received.Headers["X-Forwarded-Host"]);
    }

    [Theory]
    [InlineData(true, new[] { "ingress.path.add=/api/" }, "/x/y?z=1", "/api/x/y?z=1")]
    [InlineData(false, new[] { "ingress.path.add=/api/" }, "/x/y?z=1", "/api/x/y?z=1")]
    [InlineData(true, new[] { "ingress.path=/v1", "ingress.path.strip=true", "ingress.path.add=/api" }, "/v1/x?z", "/api/x?z")]
    [InlineData(false, new[] { "ingress.path=/v1", "ingress.path.strip=true", "ingress.path.add=/api" }, "/v1/x?z", "/api/x?z")]
    public async Task AddPrefix_BackendSeesThePrefixedPath_AfterAnyStrip(bool relay, string[] labels, string target, string forwarded)
    {
        await using var gateway = await StartAsync(relay, target, labels);

        var (status, _) = await RawGetAsync(gateway.Gateway.EntryPorts[0], target, "site.test");

        Assert.Equal("HTTP/1.1 200 OK", status);
        var received = Assert.Single(gateway.Backend.Requests);
        Assert.Equal(forwarded, received.RawTarget);
        Assert.Equal(labels.Length > 1, received.Headers.ContainsKey("X-Forwarded-Prefix"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestHeaders_SetAddRemove_AreWhatTheBackendSees(bool relay)
    {
        await using var gateway = await StartAsync(relay, "/",
            "ingress.request.headers.set.X-Env=prod", "ingress.request.headers.add.X-Tag=gateway", "ingress.request.headers.remove=X-Debug,Cookie");

        var (status, _) = await RawGetAsync(gateway.Gateway.EntryPorts[0], "/r", "site.test",
            "X-Env: client", "X-Tag: client", "X-Debug: 1", "Cookie: session=1", "X-Kept: yes");

        Assert.Equal("HTTP/1.1 200 OK", status);
        var headers = Assert.Single(gateway.Backend.Requests).Headers;
        Assert.Equal("prod", headers["X-Env"]);
        Assert.Equal("client, gateway", headers["X-Tag"]);
        Assert.False(headers.ContainsKey("X-Debug"));
        Assert.False(headers.ContainsKey("Cookie"));
        Assert.Equal("yes", headers["X-Kept"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResponseHeaders_SetAddRemove_AreWhatTheClientSees(bool relay)
    {
        await using var gateway = await StartAsync(relay, "/",
            "ingress.response.headers.set.X-Frame-Options=DENY", "ingress.response.headers.add.X-Via=gateway", "ingress.response.headers.remove=X-Internal");
        using var client = PlainClient();

        using var response = await client.GetAsync(
            $"http://127.0.0.1:{gateway.Gateway.EntryPorts[0]}/?header=X-Frame-Options:SAMEORIGIN&header=X-Via:replica&header=X-Internal:secret&header=X-Kept:yes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["DENY"], response.Headers.GetValues("X-Frame-Options"));
        Assert.Equal(["replica", "gateway"], response.Headers.GetValues("X-Via"));
        Assert.False(response.Headers.Contains("X-Internal"));
        Assert.Equal(["yes"], response.Headers.GetValues("X-Kept"));
        Assert.Equal("backend", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true, "gzip", "application/json")]
    [InlineData(false, "gzip", "application/json")]
    [InlineData(true, "br", "text/html; charset=utf-8")]
    [InlineData(false, "br", "text/html; charset=utf-8")]
    [InlineData(true, "br", "image/svg+xml")]
    [InlineData(false, "gzip", "application/javascript")]
    public async Task Compress_TextResponse_IsEncodedAsAccepted_AndDecodesToTheOriginal(bool relay, string encoding, string type)
    {
        await using var gateway = await StartAsync(relay, "/", "ingress.compress=true");
        using var client = PlainClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Gateway.EntryPorts[0]}/?size=20000&type={Uri.EscapeDataString(type)}");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.True(body.Length < 20000 / 4, $"{body.Length} bytes");
        Assert.Equal(TestBackend.Body(20000), Decode(encoding, body));
    }

    [Theory]
    [InlineData(true, "", "text/plain", "")]
    [InlineData(false, "", "text/plain", "")]
    [InlineData(true, "gzip, br", "image/png", "")]
    [InlineData(false, "gzip, br", "image/png", "")]
    [InlineData(true, "gzip, br", "application/octet-stream", "")]
    [InlineData(true, "gzip, br", "text/plain&size=1023", "")]
    [InlineData(false, "gzip, br", "text/plain&size=1023", "")]
    [InlineData(true, "gzip, br", "text/plain&gzip", "gzip")]
    [InlineData(false, "gzip, br", "text/plain&gzip", "gzip")]
    public async Task Compress_NotAcceptedNotTextTinyOrAlreadyEncoded_IsPassedAsTheReplicaSentIt(bool relay, string accept, string query, string replicaEncoding)
    {
        await using var gateway = await StartAsync(relay, "/", "ingress.compress=true");
        using var client = PlainClient();
        var size = query.Contains("size=", StringComparison.Ordinal) ? 1023 : 20000;
        var url = $"http://127.0.0.1:{gateway.Gateway.EntryPorts[0]}/?type={query.Replace("/", "%2F", StringComparison.Ordinal)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, size == 1023 ? url : url + "&size=20000");
        if (accept.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", accept);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(replicaEncoding.Length > 0 ? [replicaEncoding] : [], response.Content.Headers.ContentEncoding);
        Assert.Equal(TestBackend.Body(size), replicaEncoding.Length > 0 ? Decode(replicaEncoding, body) : body);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Compress_OverTls_IsEncodedToo(string version)
    {
        await using var gateway = await StartAsync(relay: true, "/", "ingress.compress=true");
        using var client = TlsClient.HttpClient(gateway.Certificates, gateway.Port, Version.Parse(version));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://site.test:{gateway.Port}/?size=20000&type=text%2Fcss");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "br");

        using var response = await client.SendAsync(request);

        Assert.Equal(["br"], response.Content.Headers.ContentEncoding);
        Assert.Equal(TestBackend.Body(20000), Decode("br", await response.Content.ReadAsByteArrayAsync()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BadPolicyLabel_SkipsOnlyThatService_WithTheLabelAndReasonShown(bool relay)
    {
        await using var gateway = await PolicyGateway.StartAsync(relay);
        var port = gateway.Backend.Port.ToString(CultureInfo.InvariantCulture);
        gateway.Gateway.Sink.Publish(Snapshot(
            "docker",
            Service("good", Labels("ingress.host=good.test", $"ingress.port={port}", "ingress.response.headers.set.X-Policy=on"), [Task("g1", gateway.Backend.Ip)]),
            Service("bad", Labels("ingress.host=bad.test", $"ingress.port={port}", "ingress.response.headers.set.X-Policy=on\r\nSet-Cookie: a=b"), [Task("b1", gateway.Backend.Ip)])));

        var (good, headers) = await Eventually.WaitAsync(
            () => RawGetAsync(gateway.Gateway.EntryPorts[0], "/", "good.test"), r => !r.Status.Contains("404", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the good service to be routed");
        var (bad, _) = await RawGetAsync(gateway.Gateway.EntryPorts[0], "/", "bad.test");
        var state = await gateway.Gateway.Admin.GetStringAsync("/api/state");
        var metrics = await gateway.Gateway.Admin.GetStringAsync("/metrics");

        Assert.Equal("HTTP/1.1 200 OK", good);
        Assert.Equal("on", headers["X-Policy"]);
        Assert.Equal("HTTP/1.1 404 Not Found", bad);
        Assert.Contains("a header value may not contain CR, LF or NUL", state);
        Assert.Contains("ingress_invalid_services 1", metrics);
        Assert.Contains("ingress_invalid_labels_total{service=\"bad\"}", metrics);
    }

    [Fact]
    public async Task Relay_ServiceWithoutPolicies_IsNotHandedOff_OneWithPolicies_IsCountedAsPolicy()
    {
        await using var gateway = await PolicyGateway.StartAsync(relay: true);
        var port = gateway.Backend.Port.ToString(CultureInfo.InvariantCulture);
        var entry = gateway.Gateway.EntryPorts[0];
        gateway.Gateway.Sink.Publish(Snapshot(
            "docker",
            Service("plain", Labels("ingress.host=plain.test", $"ingress.port={port}"), [Task("p1", gateway.Backend.Ip)]),
            Service("shaped", Labels("ingress.host=shaped.test", $"ingress.port={port}", "ingress.request.headers.set.X-Env=prod"), [Task("s1", gateway.Backend.Ip)])));
        await Eventually.WaitAsync(
            async () => (await RawGetAsync(entry, "/", "plain.test")).Status + (await RawGetAsync(entry, "/", "shaped.test")).Status,
            s => !s.Contains("404", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "both services to be routed");
        var before = await Handoffs(gateway.Gateway, entry);

        for (var i = 0; i < 3; i++)
        {
            await RawGetAsync(entry, "/p", "plain.test", "Accept-Encoding: gzip");
        }

        await RawGetAsync(entry, "/s", "shaped.test");
        var after = await Handoffs(gateway.Gateway, entry);

        Assert.Equal(1, after.GetValueOrDefault("policy") - before.GetValueOrDefault("policy"));
        Assert.Equal(after.Values.Sum() - 1, before.Values.Sum());
        var requests = gateway.Backend.Requests.Where(r => r.PathAndQuery is "/p" or "/s").ToArray();
        Assert.Equal(["/p", "/p", "/p", "/s"], requests.Select(r => r.PathAndQuery));
        Assert.All(requests[..3], r => Assert.False(r.Headers.ContainsKey("X-Env")));
        Assert.Equal("prod", requests[3].Headers["X-Env"]);
    }

    /// <summary>The relay's hand-offs on <paramref name="entry"/>, by reason, from <c>/metrics</c>.</summary>
    private static async Task<Dictionary<string, double>> Handoffs(GatewayTestHost gateway, int entry)
    {
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        return Regex.Matches(metrics, $"^ingress_relay_handoffs_total\\{{entrypoint=\"{entry}\",reason=\"(\\w+)\"\\}} (\\S+)$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>The gateway with the service <c>web</c> labelled <paramref name="labels"/> (published on the entry port, or on its path rule), routed: <paramref name="probe"/> is no 404.</summary>
    private static async Task<PolicyGateway> StartAsync(bool relay, string probe, params string[] labels)
    {
        var gateway = await PolicyGateway.StartAsync(relay);
        var entry = gateway.Gateway.EntryPorts[0];
        string[] route = labels.Any(l => l.StartsWith("ingress.path=", StringComparison.Ordinal))
            ? [$"ingress.port={gateway.Backend.Port}"]
            : [$"ingress.publish={entry}:{gateway.Backend.Port}"];
        gateway.Gateway.Sink.Publish(Snapshot("docker", Service("web", Labels([.. route, .. labels]), [Task("t1", gateway.Backend.Ip)])));
        await Eventually.WaitAsync(
            async () => (await RawGetAsync(entry, probe, "site.test")).Status, s => !s.Contains("404", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the service to be routed");
        gateway.Backend.Requests.Clear();
        return gateway;
    }

    /// <summary>A client that asks for no encoding and decodes none, so the test sees the bytes the gateway sent.</summary>
    private static HttpClient PlainClient() =>
        new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(10) };

    private static byte[] Decode(string encoding, byte[] body)
    {
        using var input = new MemoryStream(body);
        using Stream decoder = encoding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>A <see cref="TlsGateway"/> (a plain entry port, a TLS port for <c>site.test</c>, one backend) with its certificates.</summary>
    private sealed class PolicyGateway(TestCertificates certificates, TlsGateway tls) : IAsyncDisposable
    {
        public TestCertificates Certificates { get; } = certificates;

        public GatewayTestHost Gateway => tls.Gateway;

        public TestBackend Backend => tls.Backend;

        public int Port => tls.Port;

        public static async Task<PolicyGateway> StartAsync(bool relay)
        {
            var certificates = new TestCertificates();
            certificates.WriteCombined("site.pem", ["site.test"]);
            return new PolicyGateway(certificates, await TlsGateway.StartAsync(certificates, RelaySetting(relay), catchAll: false));
        }

        public async ValueTask DisposeAsync()
        {
            await tls.DisposeAsync();
            Certificates.Dispose();
        }
    }
}
