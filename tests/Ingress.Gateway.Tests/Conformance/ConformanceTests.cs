using System.Diagnostics;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Conformance;

/// <summary>
/// The conformance rules (README, "Conformance"), end to end on both data paths: raw bytes from a client, scripted raw
/// replicas, raw bytes checked on both sides. Every test runs with the relay on and off.
/// </summary>
public sealed class ConformanceTests
{
    private const string Get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    private const string Next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    private const string NextAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";

    [Theory]
    [InlineData(true, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 204 ")]
    [InlineData(false, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 204 ")]
    [InlineData(true, "HTTP/1.1 204 No Content\r\nContent-Length: 44\r\n\r\n", "HTTP/1.1 204 ")]
    [InlineData(false, "HTTP/1.1 204 No Content\r\nContent-Length: 44\r\n\r\n", "HTTP/1.1 204 ")]
    [InlineData(true, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 44\r\n\r\n", "HTTP/1.1 204 ")]
    [InlineData(false, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 44\r\n\r\n", "HTTP/1.1 204 ")]
    [InlineData(true, "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 304 ")]
    [InlineData(false, "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 304 ")]
    public async Task BodilessResponse_WithFramingHeaders_ReachesTheClientWithoutThem(bool relay, string answer, string status)
    {
        await using var replica = new ScriptedServer(request => new ScriptedReply(request.StartsWith("GET /next", StringComparison.Ordinal) ? NextAnswer : answer));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(Get);
        var first = await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));
        await client.SendAsync(Next);
        var text = await client.ReadUntilAsync(t => t.EndsWith("next", StringComparison.Ordinal));

        Assert.StartsWith(status, first);
        var head = first[..first.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.DoesNotContain("Transfer-Encoding", head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Content-Length", head, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\nnext", text);
        Assert.Equal(2, text.Split("HTTP/1.1 ").Length - 1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NotModified_KeepsItsContentLength(bool relay)
    {
        await using var replica = new ScriptedServer(request => new ScriptedReply(request.StartsWith("GET /next", StringComparison.Ordinal)
            ? NextAnswer
            : "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\nContent-Length: 5\r\n\r\n"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(Get + Next);
        var text = await client.ReadUntilAsync(t => t.EndsWith("next", StringComparison.Ordinal));

        Assert.StartsWith("HTTP/1.1 304 ", text);
        Assert.Contains("\r\nContent-Length: 5\r\n", text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)] + "\r\n");
        Assert.EndsWith("\r\n\r\nnext", text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InterimResponse_ThatReachesTheClient_CarriesNoFramingHeaders(bool relay)
    {
        // The relay forwards a 103; HttpClient, under YARP, swallows it. Either way no framing field reaches the client.
        await using var replica = new ScriptedServer(_ => new ScriptedReply(
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(Get);
        var text = await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\nok", StringComparison.Ordinal));

        if (text.StartsWith("HTTP/1.1 103", StringComparison.Ordinal))
        {
            var interim = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
            Assert.DoesNotContain("Content-Length", interim, StringComparison.Ordinal);
            Assert.DoesNotContain("Transfer-Encoding", interim, StringComparison.Ordinal);
        }

        Assert.Contains("HTTP/1.1 200 OK\r\n", text);
    }

    [Theory]
    [InlineData(true, "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n")]
    [InlineData(false, "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n")]
    [InlineData(true, "GET", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData(false, "GET", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData(true, "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n")]
    [InlineData(false, "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n")]
    [InlineData(true, "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")]
    [InlineData(false, "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")]
    public async Task BodilessResponseThatAnnouncedABody_ItsConnectionIsNotReused_SoLateBytesNeverAnswerTheNextRequest(bool relay, string method, string answer)
    {
        // The replica sends the body it announced after all, a little later: bytes nobody asked for on that connection.
        await using var replica = new ScriptedServer(request => request.StartsWith("GET /next", StringComparison.Ordinal)
            ? new ScriptedReply(NextAnswer)
            : new ScriptedReply(answer, Late: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL", LateDelayMs: 150));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        // Pipelined: the second request is there before the late bytes.
        await client.SendAsync($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n{Next}");
        var text = await client.ReadUntilAsync(t => t.EndsWith("next", StringComparison.Ordinal) || t.EndsWith("EVIL", StringComparison.Ordinal));

        Assert.EndsWith("\r\n\r\nnext", text);
        Assert.DoesNotContain("EVIL", text, StringComparison.Ordinal);
        Assert.Equal(2, replica.Accepted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HonestBodilessResponse_KeepsItsConnection(bool relay)
    {
        await using var replica = new ScriptedServer(request => new ScriptedReply(request.StartsWith("GET /next", StringComparison.Ordinal)
            ? NextAnswer
            : "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(Get);
        await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));
        await client.SendAsync(Next);
        var text = await client.ReadUntilAsync(t => t.EndsWith("next", StringComparison.Ordinal));

        Assert.EndsWith("\r\n\r\nnext", text);
        Assert.Equal(1, replica.Accepted);
    }

    /// <remarks>
    /// Kestrel keeps a request's <c>Connection</c> header whole only when it has neither <c>keep-alive</c> nor <c>close</c>:
    /// with either, it reduces the header to that token before any application code runs, so on the YARP path the fields
    /// named beside it cannot be known (README, "Conformance"). The relay reads the raw head.
    /// </remarks>
    [Theory]
    [InlineData(true, "x-secret")]
    [InlineData(false, "x-secret")]
    [InlineData(true, "keep-alive, x-secret")]
    [InlineData(true, "X-Other, x-secret")]
    [InlineData(false, "X-Other, x-secret")]
    public async Task HeadersNamedInConnection_AreRemoved_InBothDirections(bool relay, string connection)
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nX-Internal: secret\r\nX-Public: 1\r\nTrailer: X-Sum\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync($"GET / HTTP/1.1\r\nHost: a\r\nX-Secret: 1\r\nConnection: {connection}\r\nX-Kept: 1\r\nTrailer: X-Sum\r\n\r\n");
        var text = await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\nok", StringComparison.Ordinal));

        Assert.True(replica.Requests.TryDequeue(out var request));
        Assert.DoesNotContain("X-Secret", request, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Trailer:", request, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nX-Kept: 1\r\n", request);
        Assert.DoesNotContain("X-Internal", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Trailer:", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nX-Public: 1\r\n", text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ContentLengthNamedInConnection_StillFramesTheBody(bool relay)
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply("HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello" + Get);
        var text = await client.ReadUntilAsync(t => t.Split("\r\n\r\nok").Length == 3);

        Assert.Equal(2, text.Split("\r\nContent-Length: 2\r\n").Length - 1);
        Assert.Equal(2, replica.Requests.Count);
        Assert.EndsWith("\r\n\r\nhello", replica.Requests.First());
        Assert.Contains("\r\nContent-Length: 5\r\n", replica.Requests.First());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task HeaderNamesWithUnderscores_AreDropped_UnlessAllowed(bool relay, bool allowed)
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await StartAsync(replica, relay, allowed ? new() { ["Ingress:Limits:AllowUnderscoresInHeaders"] = "true" } : null);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 6.6.6.6\r\nTransfer_Encoding: chunked\r\nX-Normal: 1\r\n\r\n");
        await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\nok", StringComparison.Ordinal));

        Assert.True(replica.Requests.TryDequeue(out var request));
        Assert.Contains("\r\nX-Normal: 1\r\n", request);
        Assert.Contains("\r\nX-Forwarded-For: 127.0.0.1\r\n", request);
        Assert.Equal(allowed, request.Contains("\r\nX_Forwarded_For: 6.6.6.6\r\n", StringComparison.Ordinal));
        Assert.Equal(allowed, request.Contains("\r\nTransfer_Encoding: chunked\r\n", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, "Host:")]
    [InlineData(false, "Host:")]
    [InlineData(true, "Host:  \t ")]
    [InlineData(false, "Host:  \t ")]
    public async Task EmptyHost_Gets400_AndReachesNoReplica(bool relay, string host)
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync($"GET / HTTP/1.1\r\n{host}\r\n\r\n");
        var text = await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));

        Assert.StartsWith("HTTP/1.1 400 ", text);
        Assert.Empty(replica.Requests);
    }

    [Theory]
    [InlineData(true, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok")]
    [InlineData(false, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok")]
    [InlineData(true, "HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok")]
    [InlineData(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok")]
    [InlineData(true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\n\n")]
    [InlineData(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\n\n")]
    [InlineData(true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n")]
    [InlineData(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n")]
    public async Task BareLineFeedOrBrokenChunking_FromAReplica_Gets502AtOnce(bool relay, string answer)
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply(answer));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        var clock = Stopwatch.StartNew();

        await client.SendAsync(Get);
        var text = await client.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));

        Assert.StartsWith("HTTP/1.1 502 ", text);
        Assert.InRange(clock.ElapsedMilliseconds, 0, 5_000);
        Assert.Single(replica.Requests);
    }

    [Theory]
    [InlineData(true, "zz\r\n")]
    [InlineData(false, "zz\r\n")]
    [InlineData(true, "2\nab\n0\n\n")]
    [InlineData(false, "2\nab\n0\n\n")]
    public async Task BrokenChunking_AfterTheHeadWentOut_CutsTheClientOff(bool relay, string late)
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", Late: late, LateDelayMs: 200));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(Get);
        var text = await client.ReadToEndAsync();

        // Closed or reset, soon: not left waiting, and never told the body was complete.
        Assert.True(client.Closed || client.Reset);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("hello", text);
        Assert.DoesNotContain("0\r\n\r\n", text[text.IndexOf("\r\n\r\n", StringComparison.Ordinal)..]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResponseTrailers_CarryNoFramingOrHopByHopFields(bool relay)
    {
        await using var replica = new ScriptedServer(request => request.StartsWith("GET /next", StringComparison.Ordinal) ? new ScriptedReply(NextAnswer) : new ScriptedReply(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nContent-Length: 5\r\nConnection: close\r\nX-Checksum: 1\r\n" +
            "Transfer-Encoding: gzip\r\nkeep-alive: 1\r\nTrailer: X\r\nX-Other: 2\r\n\r\n"));
        await using var gateway = await StartAsync(replica, relay);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(Get + Next);
        var text = await client.ReadUntilAsync(t => t.EndsWith("next", StringComparison.Ordinal));

        var first = text[..text.IndexOf("HTTP/1.1 200 OK\r\nContent-Length: 4", StringComparison.Ordinal)];
        var trailers = first[(first.IndexOf("\r\n0\r\n", StringComparison.Ordinal) + 5)..];
        Assert.EndsWith("\r\n", trailers);
        foreach (var forbidden in new[] { "Content-Length", "Connection", "Transfer-Encoding", "keep-alive", "Trailer" })
        {
            Assert.DoesNotContain(forbidden + ":", trailers, StringComparison.OrdinalIgnoreCase);
        }

        if (relay)
        {
            // The relay relays the rest; Kestrel sends no trailers over HTTP/1.1, so the YARP path sends none at all.
            Assert.Equal("X-Checksum: 1\r\nX-Other: 2\r\n\r\n", trailers);
        }
    }

    private static Task<GatewayTestHost> StartAsync(ScriptedServer replica, bool relay, Dictionary<string, string?>? extra = null)
    {
        var settings = StaticRoutes.CatchAll(replica.Address);
        settings["Ingress:Transport:Relay"] = relay ? "true" : "false";
        settings["Ingress:Transport:EventLoops"] = "1";
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return GatewayTestHost.StartAsync(settings);
    }
}
