using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Tests.Http1;

public sealed class HeadWriterTests
{
    [Fact]
    public void WriteRequest_ReplacesHostAndForwardingHeaders_KeepsEverythingElseInOrder()
    {
        var source = Encoding.ASCII.GetBytes("GET /p?q HTTP/1.1\r\nHost: shop.test:8888\r\nA: 1\r\nX-Forwarded-For: 6.6.6.6\r\nB: 2\r\nConnection: keep-alive\r\n\r\n");
        RequestHeadParser.Parse(source, source.Length, out var head, out _);
        var target = new byte[512];

        var length = HeadWriter.WriteRequest(source, head, "Host: 10.0.0.5:80\r\n"u8, "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\n"u8, target);

        Assert.Equal(
            "GET /p?q HTTP/1.1\r\nA: 1\r\nB: 2\r\nHost: 10.0.0.5:80\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: shop.test:8888\r\n\r\n",
            Encoding.ASCII.GetString(target, 0, length));
    }

    [Theory]
    [InlineData("POST", true)]
    [InlineData("PUT", true)]
    [InlineData("BREW", true)]
    [InlineData("GET", false)]
    [InlineData("DELETE", false)]
    public void WriteRequest_NoContentLength_AddsAZeroOneWhereHttpClientWould(string method, bool added)
    {
        var source = Encoding.ASCII.GetBytes($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n");
        RequestHeadParser.Parse(source, source.Length, out var head, out _);
        var target = new byte[256];

        var length = HeadWriter.WriteRequest(source, head, "Host: b\r\n"u8, "X\r\n"u8, target);

        Assert.Equal(added, Encoding.ASCII.GetString(target, 0, length).Contains("\r\nContent-Length: 0\r\n", StringComparison.Ordinal));
        Assert.Equal(length, HeadWriter.RequestLength(source, head, "Host: b\r\n".Length, "X\r\n".Length));
    }

    [Theory]
    [InlineData("GET /p?q HTTP/1.1\r\nHost: shop.test:8888\r\nA: 1\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: keep-alive\r\n\r\n")]
    [InlineData("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-Forwarded-Host: evil\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    public void RequestLength_IsWhatWriteRequestWrites(string raw)
    {
        // What the relay checks before picking a replica, so that a head it cannot rewrite goes to Kestrel in time.
        var source = Encoding.ASCII.GetBytes(raw);
        RequestHeadParser.Parse(source, source.Length, out var head, out _);
        var target = new byte[512];

        var length = HeadWriter.WriteRequest(source, head, "Host: 10.0.0.5:80\r\n"u8, "X-Forwarded-For: 127.0.0.1\r\n"u8, target);

        Assert.True(length > 0);
        Assert.Equal(length, HeadWriter.RequestLength(source, head, "Host: 10.0.0.5:80\r\n".Length, "X-Forwarded-For: 127.0.0.1\r\n".Length));
        Assert.Equal(-1, HeadWriter.WriteRequest(source, head, "Host: 10.0.0.5:80\r\n"u8, "X-Forwarded-For: 127.0.0.1\r\n"u8, new byte[length - 1]));
    }

    [Fact]
    public void WriteRequest_TargetTooSmall_ReturnsMinusOne()
    {
        var source = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        RequestHeadParser.Parse(source, source.Length, out var head, out _);

        Assert.Equal(-1, HeadWriter.WriteRequest(source, head, "Host: b\r\n"u8, "X\r\n"u8, new byte[40]));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nA: 1\r\nConnection: keep-alive\r\nB: 2\r\nKeep-Alive: timeout=5\r\n\r\n", "", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", "Connection: close\r\n", "HTTP/1.1 200 OK\r\nA: 1\r\nConnection: close\r\n\r\n")]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: close\r\nA: 1\r\n\r\n", "Transfer-Encoding: chunked\r\n", "HTTP/1.1 200 OK\r\nA: 1\r\nTransfer-Encoding: chunked\r\n\r\n")]
    public void RewriteResponse_InPlace_KeepsTheBodyWhereItWas(string raw, string extra, string expected)
    {
        const int headroom = 64;
        var buffer = new byte[512];
        var body = "BODY"u8;
        Encoding.ASCII.GetBytes(raw).CopyTo(buffer, headroom);
        body.CopyTo(buffer.AsSpan(headroom + raw.Length));
        ResponseHeadParser.Parse(buffer.AsSpan(headroom, raw.Length), RequestMethod.Get, out var head);

        var start = HeadWriter.RewriteResponse(buffer, headroom, head, Encoding.ASCII.GetBytes(extra));

        Assert.Equal(expected + "BODY", Encoding.ASCII.GetString(buffer, start, headroom + raw.Length + 4 - start));
    }

    [Fact]
    public void RewriteResponse_WithoutHeadroomForTheExtraLines_ReturnsMinusOne()
    {
        var raw = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n\r\n");
        ResponseHeadParser.Parse(raw, RequestMethod.Get, out var head);

        Assert.Equal(-1, HeadWriter.RewriteResponse(raw, 0, head, "Connection: close\r\n"u8));
    }
}
