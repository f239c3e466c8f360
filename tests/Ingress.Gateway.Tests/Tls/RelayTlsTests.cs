using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Text.RegularExpressions;
using Ingress.Gateway.Tests.Common;
using Ingress.Testing;

namespace Ingress.Gateway.Tests.Tls;

/// <summary>
/// TLS terminated by the relay: HTTP/1.1 stays on the relay, HTTP/2 and every hand-off reach Kestrel through the relay's
/// TLS session, and returning clients resume. Real clients: .NET's SslStream and HttpClient, and OpenSSL's s_client.
/// </summary>
public sealed partial class RelayTlsTests
{
    [Fact]
    public async Task Http11_IsRelayed_AndH2_IsHandedToKestrelThroughTheRelaysSession()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await TlsGateway.StartAsync(certificates);
        using var http11 = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version11);
        using var http2 = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version20);

        Assert.Equal("backend", await http11.GetStringAsync($"https://site.test:{tls.Port}/one"));
        Assert.Empty(await HandoffsAsync(tls));

        using var response = await http2.GetAsync($"https://site.test:{tls.Port}/two");

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("backend", await response.Content.ReadAsStringAsync());
        Assert.Equal(new Dictionary<string, int> { ["h2"] = 1 }, await HandoffsAsync(tls));
        Assert.All(tls.Backend.Requests, r => Assert.Equal("https", r.Headers["X-Forwarded-Proto"]));
        Assert.All(tls.Backend.Requests, r => Assert.Equal("127.0.0.1", r.Headers["X-Forwarded-For"]));
    }

    [Fact]
    public async Task Handoff_MidConnection_KestrelServesTheRestOfTheConnection_AsHttpsFromTheClientsAddress()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await TlsGateway.StartAsync(certificates);
        using var client = await RawHttpClient.ConnectTlsAsync(tls.Port, TlsClient.Options("site.test", alpn: [SslApplicationProtocol.Http11]));

        // Relayed; then a chunked upload, which the relay hands to Kestrel; then one more on the same connection.
        await client.SendAsync("GET /one HTTP/1.1\r\nHost: site.test\r\n\r\n");
        await client.ReadUntilAsync(t => Responses(t) == 1);
        await client.SendAsync("POST /two HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        await client.ReadUntilAsync(t => Responses(t) == 2);
        await client.SendAsync("GET /three HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
        var text = await client.ReadToEndAsync();

        Assert.Equal(3, Responses(text));
        Assert.True(client.Closed, "Kestrel's Connection: close ends the TLS connection too.");
        Assert.Equal(["/one", "/two", "/three"], tls.Backend.Requests.Select(r => r.PathAndQuery));
        Assert.Equal("hello", tls.Backend.LastBody);
        Assert.Equal(new Dictionary<string, int> { ["transfer_encoding"] = 1 }, await HandoffsAsync(tls));
        Assert.All(tls.Backend.Requests, r => Assert.Equal("https", r.Headers["X-Forwarded-Proto"]));
        Assert.All(tls.Backend.Requests, r => Assert.Equal("127.0.0.1", r.Headers["X-Forwarded-For"]));
    }

    [Fact]
    public async Task LargeResponse_OverTls_ArrivesWhole_RelayedAndThroughTheTunnel()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await TlsGateway.StartAsync(certificates);
        using var http11 = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version11);
        using var http2 = TlsClient.HttpClient(certificates, tls.Port, HttpVersion.Version20);
        var expected = TestBackend.Body(3 * 1024 * 1024 + 17);

        Assert.Equal(expected, await http11.GetByteArrayAsync($"https://site.test:{tls.Port}/big?size={expected.Length}"));
        Assert.Equal(expected, await http2.GetByteArrayAsync($"https://site.test:{tls.Port}/big?size={expected.Length}"));
    }

    [Theory]
    [InlineData(true, "Reused")]
    [InlineData(false, "New")]
    public async Task SessionResumption_AReturningClient_ResumesUnlessSwitchedOff(bool resumption, string expected)
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await TlsGateway.StartAsync(
            certificates, new Dictionary<string, string?> { ["Ingress:Tls:SessionResumption"] = resumption ? "true" : "false" });
        var session = Path.Combine(certificates.Folder, "..", $"session-{Guid.NewGuid():N}.pem");

        // TLS 1.3 sends its tickets after the handshake: the first connection carries a whole request so that they arrive.
        var first = await SClientAsync(tls.Port, $"-sess_out {session}");
        var second = await SClientAsync(tls.Port, File.Exists(session) ? $"-sess_in {session}" : "");

        Assert.Contains("HTTP/1.1 200", first);
        Assert.Contains("HTTP/1.1 200", second);
        Assert.Equal(expected, ReuseLine().Match(second).Groups[1].Value);
        File.Delete(session);
    }

    [Fact]
    public async Task Handshake_ThatNeverCompletes_IsClosedAtTheRequestHeadersTimeout()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        await using var tls = await TlsGateway.StartAsync(
            certificates, new Dictionary<string, string?> { ["Ingress:Limits:RequestHeadersTimeout"] = "00:00:01" });
        using var client = await RawHttpClient.ConnectAsync(tls.Port);

        // Half a ClientHello's record header, then nothing.
        await client.SendAsync("\u0016\u0003\u0001");
        var watch = Stopwatch.StartNew();
        await client.ReadToEndAsync();

        Assert.True(client.Closed || client.Reset, "The gateway closes a handshake that stalls.");
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(9));
    }

    private static int Responses(string text) => Regex.Count(text, "HTTP/1.1 200 OK");

    /// <summary>The relay's hand-offs on the TLS port that happened, by reason.</summary>
    private static async Task<Dictionary<string, int>> HandoffsAsync(TlsGateway tls)
    {
        var metrics = await tls.Gateway.Admin.GetStringAsync("/metrics");
        return HandoffLine().Matches(metrics)
            .Where(m => m.Groups[1].Value == tls.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) && m.Groups[3].Value != "0")
            .ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>One <c>openssl s_client</c> connection with one request, read to the end; its whole output.</summary>
    private static async Task<string> SClientAsync(int port, string sessionArguments)
    {
        var start = new ProcessStartInfo("openssl", $"s_client -connect 127.0.0.1:{port} -servername site.test -alpn http/1.1 -ign_eof {sessionArguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync("GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return await output + await errors;
    }

    [GeneratedRegex("""ingress_relay_handoffs_total\{entrypoint="(\d+)",reason="([a-z0-9_]+)"\} (\d+)""")]
    private static partial Regex HandoffLine();

    [GeneratedRegex(@"^(New|Reused), ", RegexOptions.Multiline)]
    private static partial Regex ReuseLine();
}
