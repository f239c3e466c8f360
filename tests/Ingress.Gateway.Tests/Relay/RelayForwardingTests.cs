using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Ingress.Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Relay;

/// <summary>The relay end to end: real sockets, a real gateway, real or scripted replicas.</summary>
public sealed class RelayForwardingTests
{
    [Fact]
    public async Task PlainRequests_AreRelayed_NotHandedOff()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("ok", await gateway.Public.GetStringAsync($"/r/{i}?q={i}"));
        }

        Assert.Equal(0, await HandoffsAsync(gateway));
        Assert.Contains($"ingress_requests_total{{entrypoint=\"{gateway.EntryPorts[0]}\",service=\"backends\",method=\"GET\",code=\"200\"}} 10", await gateway.Admin.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task PostBody_LargerThanTheRelayBuffer_ArrivesIntact()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        var body = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        using var response = await gateway.Public.PostAsync("/upload", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await HandoffsAsync(gateway));
    }

    [Theory]
    [InlineData("/bytes?n=5000000")]
    [InlineData("/chunked?n=3000001")]
    [InlineData("/bytes?n=0")]
    [InlineData("/chunked?n=0")]
    public async Task LargeAndChunkedResponses_ArriveIntact(string path)
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));

        var bytes = await gateway.Public.GetByteArrayAsync(path);

        var n = int.Parse(path[(path.IndexOf('=') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(StreamingBackend.Pattern(n), bytes);
        Assert.Equal(0, await HandoffsAsync(gateway));
    }

    [Fact]
    public async Task SlowReader_GetsTheWholeLargeResponse_WhileOthersAreServed()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));

        using var slow = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        await slow.SendAsync("GET /bytes?n=8000000 HTTP/1.1\r\nHost: a\r\n\r\n");
        await Eventually.WaitUntilAsync(() => backend.Requests.Any(r => r.RawTarget.StartsWith("/bytes", StringComparison.Ordinal)), "the large response to be under way");
        Assert.Equal("ok", await gateway.Public.GetStringAsync("/"));

        var head = await slow.ReadUntilAsync(t => t.Contains("\r\n\r\n", StringComparison.Ordinal));
        var bodyStart = head.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var text = await slow.ReadAtLeastAsync(bodyStart + 8_000_000);
        Assert.Equal(StreamingBackend.Pattern(8_000_000), Encoding.Latin1.GetBytes(text[bodyStart..]));
    }

    [Fact]
    public async Task ResponseWithoutLength_IsReframedAsChunked_AndTheClientConnectionStaysOpen()
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, until close", Close: true));
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(replica.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
        var first = await client.ReadUntilAsync(t => t.EndsWith("0\r\n\r\n", StringComparison.Ordinal));
        await client.SendAsync("GET /two HTTP/1.1\r\nHost: a\r\n\r\n");
        var both = await client.ReadUntilAsync(t => t.Split("0\r\n\r\n").Length == 3);

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", first);
        Assert.Contains("Transfer-Encoding: chunked\r\n", first);
        Assert.EndsWith("\r\n\r\n12\r\nhello, until close\r\n0\r\n\r\n", first);
        Assert.Equal(2, both.Split("hello, until close").Length - 1);
        Assert.False(client.Closed);
        Assert.Equal("hello, until close", await gateway.Public.GetStringAsync("/three"));
    }

    [Fact]
    public async Task HopByHopResponseHeaders_AreDropped_OthersPass()
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Custom: yes\r\nAlt-Svc: h3=\":443\"\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(replica.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadUntilAsync(t => t.EndsWith("ok", StringComparison.Ordinal));

        Assert.Equal("HTTP/1.1 200 OK\r\nX-Custom: yes\r\nContent-Length: 2\r\n\r\nok", response);
    }

    [Fact]
    public async Task InterimResponse_IsForwardedBeforeTheFinalOne()
    {
        await using var replica = new ScriptedServer(_ => new ScriptedReply(
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(replica.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = await client.ReadUntilAsync(t => t.EndsWith("ok", StringComparison.Ordinal));

        Assert.Equal("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", response);
    }

    [Fact]
    public async Task HeadAnd204And304_CarryNoBody_AndTheConnectionStaysUsable()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("HEAD /bytes?n=100 HTTP/1.1\r\nHost: a\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: a\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReadUntilAsync(t => t.EndsWith("\r\n\r\nok", StringComparison.Ordinal));

        var statuses = text.Split("HTTP/1.1 ").Skip(1).Select(r => r[..3]).ToList();
        Assert.Equal(["200", "204", "304", "200"], statuses);
        Assert.Contains("Content-Length: 100\r\n", text);
        Assert.DoesNotContain(StreamingBackend.Pattern(100).Select(b => (char)b).ToArray().AsSpan(1, 20).ToString(), text);
    }

    [Fact]
    public async Task PipelinedRequests_AreAnsweredInOrder()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync(
            "GET /bytes?n=3&delay=200 HTTP/1.1\r\nHost: a\r\n\r\n" +
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /bytes?n=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReadUntilAsync(t => t.Split("HTTP/1.1 200").Length == 4 && t.EndsWith("\0", StringComparison.Ordinal));

        var bodies = text.Split("HTTP/1.1 200 OK").Skip(1).Select(r => r[(r.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).ToList();
        Assert.Equal("\0\u0001\u0002", bodies[0]);
        Assert.StartsWith("5:", bodies[1]);
        Assert.Equal("\0", bodies[2]);
        Assert.Equal(["GET", "POST", "GET"], backend.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task ClientConnectionClose_IsAnsweredWithConnectionClose_ThenClosed()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        var text = await client.ReadToEndAsync();

        Assert.True(client.Closed);
        Assert.Contains("\r\nConnection: close\r\n", text);
        Assert.EndsWith("\r\n\r\nok", text);
    }

    [Fact]
    public async Task UpstreamConnections_AreKeptAlive_AndShared()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("ok", await gateway.Public.GetStringAsync("/"));
        }

        // Sequential requests reuse pooled connections; at most one per event loop was ever opened.
        Assert.InRange(backend.Connections, 1, Environment.ProcessorCount);
    }

    [Fact]
    public async Task ReplicaClosingPooledConnections_CostsNoRequest()
    {
        // The replica closes every connection right after answering, without saying so: each next request finds its
        // pooled connection dead, the keep-alive race every proxy meets. It is retried on a fresh connection.
        await using var replica = new ScriptedServer(_ => new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Close: true));
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(replica.Address));

        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(20);
            using var response = await gateway.Public.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.DoesNotContain("code=\"502\"", await gateway.Admin.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task StalePooledConnection_BodilessRequestIsResentOnAFreshOne_PostWithBodyIsNot()
    {
        // The replica takes a second request on a connection and closes it without answering: from the gateway's side,
        // exactly a pooled connection the replica had just timed out.
        await using var replica = new ScriptedServer((_, index) => index == 0
            ? new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            : new ScriptedReply(null));
        var settings = StaticRoutes.CatchAll(replica.Address);
        settings["Ingress:Transport:EventLoops"] = "1";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        Assert.Equal("ok", await gateway.Public.GetStringAsync("/first"));
        Assert.Equal("ok", await gateway.Public.GetStringAsync("/second"));
        using var post = await gateway.Public.PostAsync("/pay", new StringContent("once"));

        Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
        Assert.Equal(2, replica.Requests.Count(r => r.StartsWith("GET /second", StringComparison.Ordinal)));
        Assert.Equal(1, replica.Requests.Count(r => r.StartsWith("POST /pay", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PooledConnectionReset_AfterPartOfTheAnswer_IsNotRetried_EvenWithoutABody()
    {
        // The replica has seen the request (it began answering), so sending it again could run it twice.
        await using var replica = new ScriptedServer((_, index) => index == 0
            ? new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            : new ScriptedReply("HTTP/1.1 200 OK\r\nContent-Ty", Reset: true));
        var settings = StaticRoutes.CatchAll(replica.Address);
        settings["Ingress:Transport:EventLoops"] = "1";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        Assert.Equal("ok", await gateway.Public.GetStringAsync("/first"));
        using var run = await gateway.Public.PostAsync("/jobs/1/run", content: null);

        Assert.Equal(HttpStatusCode.BadGateway, run.StatusCode);
        Assert.Equal(1, replica.Requests.Count(r => r.StartsWith("POST /jobs/1/run", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task NoReplicaAnswer_BeforeTheBodyWasRead_ClosesTheConnection_SoTheBodyIsNeverParsedAsARequest()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        settings["ReverseProxy:Routes:empty:ClusterId"] = "empty";
        settings["ReverseProxy:Routes:empty:Match:Path"] = "/empty/{**rest}";
        settings["ReverseProxy:Clusters:empty:LoadBalancingPolicy"] = "RoundRobin";
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        // The first part of a body that, read as requests, would be a request to a replica.
        var smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
        await client.SendAsync($"POST /empty/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n{smuggled}");
        var text = await client.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 503", text);
        Assert.Contains("\r\nConnection: close\r\n", text);
        Assert.Equal(1, text.Split("HTTP/1.1 ").Length - 1);
        Assert.True(client.Closed);
        Assert.DoesNotContain(backend.Requests, r => r.PathAndQuery.Contains("smuggled", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(20_000)]
    [InlineData(60_000)]
    public async Task ResponseHeadLargerThanTheRelayBuffer_IsForwarded_AsTheYarpPipelineWould(int headerLength)
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));

        for (var i = 0; i < 2; i++)
        {
            using var response = await gateway.Public.GetAsync($"/headers?n={headerLength}");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(headerLength, response.Headers.GetValues("X-Big").Single().Length);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal("ok", await gateway.Public.GetStringAsync("/"));
        Assert.Equal(0, await HandoffsAsync(gateway));
    }

    [Fact]
    public async Task UploadHeldBackByASlowReplica_IsNotCutOffAsASlowClient()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        // A demanding rate: 4 MB/s. The replica waits 3.5 s before reading, far longer than the socket buffers can hide.
        settings["Ingress:Limits:MinRequestBodyBytesPerSecond"] = "4000000";
        settings["Ingress:Limits:MinRequestBodyGracePeriod"] = "00:00:01.500";
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        var body = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);

        using var response = await gateway.Public.PostAsync("/upload?readDelay=3500", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForwardedRequest_IsTheOneTheYarpPipelineSends()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        await using var relay = await GatewayTestHost.StartAsync(settings);
        await using var yarp = await ReferenceGateway.StartAsync(settings);
        const string raw = "GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: Shop.Example.com:8888\r\nUser-Agent: t\r\nAccept: */*\r\nX-Forwarded-For: 6.6.6.6\r\n" +
            "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\nX-Forwarded-Prefix: /p\r\nForwarded: for=1.2.3.4\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n" +
            "TE: trailers\r\nProxy-Connection: x\r\nProxy-Authorization: secret\r\nUpgrade-Insecure-Requests: 1\r\nCookie: a=1\r\nX-Empty:\r\n" +
            "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nContent-Length: 0\r\n\r\n";

        var seen = new List<RecordedRequest>();
        foreach (var port in new[] { yarp.EntryPorts[0], relay.EntryPorts[0] })
        {
            using var client = await RawHttpClient.ConnectAsync(port);
            await client.SendAsync(raw);
            await client.ReadUntilAsync(t => t.EndsWith("ok", StringComparison.Ordinal));
            Assert.True(backend.Requests.TryDequeue(out var request));
            seen.Add(request!);
        }

        var (viaYarp, viaRelay) = (seen[0], seen[1]);
        Assert.Equal(viaYarp.RawTarget, viaRelay.RawTarget);
        Assert.Equal(viaYarp.Method, viaRelay.Method);
        Assert.Equal(Normalize(viaYarp.Headers), Normalize(viaRelay.Headers));
        Assert.Equal("Shop.Example.com:8888", viaRelay.Headers["X-Forwarded-Host"]);
        Assert.Equal($"127.0.0.1:{backend.Port}", viaRelay.Headers["Host"]);
    }

    [Fact]
    public async Task WebSocket_IsHandedToTheYarpPipeline_AndEchoes()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{gateway.EntryPorts[0]}/ws"), CancellationToken.None);
        await socket.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[16];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, received.Count));
        Assert.Equal(1, await HandoffsAsync(gateway, "upgrade"));
    }

    [Fact]
    public async Task ChunkedUpload_IsHandedToTheYarpPipeline_AndArrives()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        var body = RandomNumberGenerator.GetBytes(200_000);
        var content = new StreamContent(new MemoryStream(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await gateway.Public.SendAsync(request);

        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await HandoffsAsync(gateway, "transfer_encoding"));
    }

    [Fact]
    public async Task HandedOffConnection_RejectedByKestrel_WithMegabytesUnread_IsReleased()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        // A malformed head (no colon) goes to Kestrel, which answers 400 and stops reading; the bytes behind it fill
        // the hand-off pipe. Closing the connection must not wait for anyone to read them.
        var sending = client.SendAsync("GET / HTTP/1.1\r\nHost a\r\n\r\n" + new string('x', 4 * 1024 * 1024));
        var text = await client.ReadToEndAsync();
        try
        {
            await sending.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (IOException)
        {
            // Closed with bytes unread: the client's send ends in a reset.
        }

        Assert.StartsWith("HTTP/1.1 400", text);
        Assert.Equal(1, await HandoffsAsync(gateway, "malformed"));
        await Eventually.WaitAsync(() => OpenConnectionsAsync(gateway), open => open == 0, TimeSpan.FromSeconds(5), "the connection to be released", TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task RequestAfterRelayedOnes_NeedingTheYarpPipeline_HandsOffWithItsBytes()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);

        // Two relayed requests, then an Expect: 100-continue one on the same connection, sent in one piece with the next.
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReadUntilAsync(t => t.Split("\r\n\r\nok").Length == 3);
        await client.SendAsync("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var text = await client.ReadUntilAsync(t => t.Contains("3:", StringComparison.Ordinal) && t.EndsWith("\r\n\r\nok", StringComparison.Ordinal) && t.Split("\r\n\r\nok").Length == 4);

        Assert.Contains("3:" + Convert.ToHexString(SHA256.HashData("abc"u8.ToArray())), text);
        Assert.Equal(1, await HandoffsAsync(gateway, "expect"));
    }

    [Fact]
    public async Task ShuttingDown_FinishesTheRequestInFlight_WithConnectionClose()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        using var idle = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        await client.SendAsync("GET /?delay=700 HTTP/1.1\r\nHost: a\r\n\r\n");
        await Eventually.WaitUntilAsync(() => backend.Requests.Any(r => r.RawTarget.StartsWith("/?delay=700", StringComparison.Ordinal)), "the request to be in flight at the replica");

        var stopping = gateway.DisposeAsync().AsTask();
        var text = await client.ReadToEndAsync();
        await idle.ReadToEndAsync();
        await stopping;

        Assert.StartsWith("HTTP/1.1 200 OK", text);
        Assert.Contains("\r\nConnection: close\r\n", text);
        Assert.EndsWith("ok", text);
        Assert.True(client.Closed);
        Assert.True(idle.Closed);
    }

    [Fact]
    public async Task IdleKeepAliveConnection_IsClosedAfterTheKeepAliveTimeout_NotBefore()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        settings["Ingress:Limits:KeepAliveTimeout"] = "00:00:10";
        var time = new FakeTimeProvider();
        await using var gateway = await GatewayTestHost.StartAsync(settings, configure: b => b.Services.AddSingleton<TimeProvider>(time));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        await client.ReadUntilAsync(t => t.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && t.Contains("\r\n\r\n", StringComparison.Ordinal));

        var closed = client.ReadToEndAsync();
        time.Advance(TimeSpan.FromSeconds(9.8));
        await Continually.HoldsAsync(() => !closed.IsCompleted, TimeSpan.FromMilliseconds(400), "the connection open before its keep-alive timeout");
        // The loop may have set the deadline a moment after the client read the answer, by this clock: a whole timeout more.
        time.Advance(TimeSpan.FromSeconds(10.2));
        await closed;

        Assert.True(client.Closed);
    }

    [Fact]
    public async Task SlowRequestBody_IsCutOff_AtTheMinimumDataRate_AfterTheGracePeriod()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        settings["Ingress:Limits:MinRequestBodyGracePeriod"] = "00:00:02";
        var time = new FakeTimeProvider();
        await using var gateway = await GatewayTestHost.StartAsync(settings, configure: b => b.Services.AddSingleton<TimeProvider>(time));
        using var client = await RawHttpClient.ConnectAsync(gateway.EntryPorts[0]);
        await client.SendAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nstart");
        await Eventually.WaitUntilAsync(() => backend.Requests.Count > 0, "the request to reach the backend");

        var text = client.ReadToEndAsync();
        time.Advance(TimeSpan.FromSeconds(1.8));
        await Continually.HoldsAsync(() => !text.IsCompleted, TimeSpan.FromMilliseconds(400), "the slow body within its grace period");
        // The body's clock may have started a moment after the backend saw the request, by this clock: a grace period more.
        time.Advance(TimeSpan.FromSeconds(2.2));

        Assert.True((await text).Length == 0 || (await text).StartsWith("HTTP/1.1 408", StringComparison.Ordinal), await text);
        Assert.True(client.Closed);
    }

    [Fact]
    public async Task HeadOverTheConfiguredLimit_ButWithinTheRelayBuffer_IsLeftToKestrel_WhichAnswers431()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        settings["Ingress:Limits:MaxRequestHeadersTotalSize"] = "2048";
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Big", new string('x', 3000));

        using var response = await gateway.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(backend.Requests);
        Assert.Equal(1, await HandoffsAsync(gateway, "size"));
    }

    [Fact]
    public async Task HeadWhoseRewriteWouldOutgrowTheRelayBuffer_GoesToKestrelFirst_SoARetryStillServesIt()
    {
        // The relay reads this head whole, but its rewrite (the replica's Host, X-Forwarded-*) would not fit the
        // buffer. Found only once a replica was picked, after a refused first attempt the request could no longer be
        // handed off and failed with 502; it is handed off before any attempt now, and YARP's retry serves it.
        await using var backend = await StreamingBackend.StartAsync();
        // The dead replica first: round robin's first pick, so at least one request meets it first.
        var settings = StaticRoutes.CatchAll($"http://127.0.0.1:{FreePort.Next()}/", backend.Address);
        settings["Ingress:Resilience:PassiveHealth"] = "false";
        await using var gateway = await GatewayTestHost.StartAsync(settings);
        var big = new string('x', 16 * 1024 - 80);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            // One connection each: a handed-off connection stays with Kestrel.
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/{i}") { Headers = { ConnectionClose = true } };
            request.Headers.Add("X-Big", big);
            using var response = await gateway.Public.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(4, backend.Requests.Count);
        Assert.Equal(4, await HandoffsAsync(gateway, "size"));
    }

    [Fact]
    public async Task RequestLineOverKestrelsLimit_IsLeftToKestrel_WhichAnswers414()
    {
        await using var backend = await StreamingBackend.StartAsync();
        await using var gateway = await GatewayTestHost.StartAsync(StaticRoutes.CatchAll(backend.Address));

        using var response = await gateway.Public.GetAsync("/" + new string('a', 9000));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task RelayOff_EntryPortsAreServedByKestrelAndYarp()
    {
        await using var backend = await StreamingBackend.StartAsync();
        var settings = StaticRoutes.CatchAll(backend.Address);
        settings["Ingress:Transport:Relay"] = "false";
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        Assert.Equal("ok", await gateway.Public.GetStringAsync("/"));
        Assert.DoesNotContain("ingress_relay_handoffs_total{", await gateway.Admin.GetStringAsync("/metrics"));
    }

    private static Task<int> HandoffsAsync(GatewayTestHost gateway, string? reason = null) =>
        SumAsync(gateway, "ingress_relay_handoffs_total", reason is null ? null : $"reason=\"{reason}\"");

    private static Task<int> OpenConnectionsAsync(GatewayTestHost gateway) => SumAsync(gateway, "ingress_open_connections");

    /// <summary>The sum of a metric's series on the gateway's <c>/metrics</c>, of those with <paramref name="label"/> if given.</summary>
    private static async Task<int> SumAsync(GatewayTestHost gateway, string metric, string? label = null)
    {
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        return metrics.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && (label is null || l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => (int)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Header names ignoring case; values with list items trimmed (a relayed duplicate header and a merged one read the same).</summary>
    private static Dictionary<string, string> Normalize(IReadOnlyDictionary<string, string> headers) =>
        headers.ToDictionary(
            h => h.Key.ToLowerInvariant(),
            h => string.Join(",", h.Value.Split(',').Select(v => v.Trim())));
}
