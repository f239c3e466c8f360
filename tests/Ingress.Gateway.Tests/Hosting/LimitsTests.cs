using System.Net;
using System.Net.Sockets;
using System.Text;
using Ingress.Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Hosting;

public sealed class LimitsTests
{
    [Fact]
    public async Task OversizedHeaders_Answer431()
    {
        var backends = await TestBackend.StartManyAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Big", new string('x', 40 * 1024));
        using var response = await gateway.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(backends[0].Requests);
        await backends[0].DisposeAsync();
    }

    [Fact]
    public async Task OversizedBody_Answers413_WhenALimitIsSet()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = StaticRoutes.CatchAll(backends);
        settings["Ingress:Limits:MaxRequestBodySize"] = "1000";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        using var small = await gateway.Public.PostAsync("/", new ByteArrayContent(new byte[500]));
        using var large = await gateway.Public.PostAsync("/", new ByteArrayContent(new byte[5000]));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        await backends[0].DisposeAsync();
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: bad host!\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n")]
    public async Task MalformedRequest_Answers400(string raw)
    {
        var backends = await TestBackend.StartManyAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backends));

        var response = await SendRawAsync(gateway.EntryPorts[0], raw);

        Assert.StartsWith("HTTP/1.1 400", response);
        Assert.Empty(backends[0].Requests);
        await backends[0].DisposeAsync();
    }

    [Fact]
    public async Task SlowlorisClient_IsCutOff_AfterTheRequestHeadersTimeout_WhileOthersAreServed()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = StaticRoutes.CatchAll(backends);
        settings["Ingress:Limits:RequestHeadersTimeout"] = "00:00:01";
        var time = new FakeTimeProvider();
        await using var gateway = await GatewayTestHost.StartAsync(settings, configure: b => b.Services.AddSingleton<TimeProvider>(time));
        using var slow = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        await slow.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ");
        var answer = slow.ReadToEndAsync();

        // A byte every 200 ms of the gateway's clock: not cut off within the head's second. The loop may read the first bytes
        // a moment after the clock moved, so its deadline is somewhere in the first 1.8 s: cut off by 2 s.
        for (var i = 0; i < 4; i++)
        {
            await slow.SendAsync("x");
            time.Advance(TimeSpan.FromMilliseconds(200));
            Assert.Equal("a", await gateway.Public.GetStringAsync("/"));
        }

        await Continually.HoldsAsync(() => !answer.IsCompleted, TimeSpan.FromMilliseconds(300), "the slow client still connected within its second");
        time.Advance(TimeSpan.FromMilliseconds(1200));
        var text = await answer;

        Assert.True(slow.Closed, "the slow client was never cut off");
        Assert.True(text.Length == 0 || text.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), text);
        Assert.Equal("a", await gateway.Public.GetStringAsync("/"));
        await backends[0].DisposeAsync();
    }

    [Fact]
    public async Task ConnectionsPastTheCap_GetA503AndAreClosed_AdminStillAnswers()
    {
        var backends = await TestBackend.StartManyAsync("a");
        var settings = StaticRoutes.CatchAll(backends);
        settings["Ingress:Limits:MaxConnectionsPerEntryPort"] = "2";
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        var port = gateway.EntryPorts[0];

        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, port);
        await second.ConnectAsync(IPAddress.Loopback, port);
        var open = $"ingress_open_connections{{entrypoint=\"{port}\"}} ";
        await Eventually.WaitUntilAsync(async () => (await gateway.Admin.GetStringAsync("/metrics")).Contains(open + "2\n", StringComparison.Ordinal), "both connections to be open");

        var refused = await SendRawAsync(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 503", refused);
        Assert.Equal("ok", await gateway.Admin.GetStringAsync("/healthz"));
        Assert.Contains("ingress_refused_connections_total{entrypoint=\"" + port + "\"} 1", await gateway.Admin.GetStringAsync("/metrics"));

        first.Close();
        await Eventually.WaitUntilAsync(async () => (await gateway.Admin.GetStringAsync("/metrics")).Contains(open + "1\n", StringComparison.Ordinal), "the closed connection to be released");
        var served = await SendRawAsync(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", served);
        await backends[0].DisposeAsync();
    }

    private static async Task<string> SendRawAsync(int port, string raw)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var total = new StringBuilder();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                total.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (total.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // A reset after the response still leaves what was read.
        }

        return total.ToString();
    }
}
