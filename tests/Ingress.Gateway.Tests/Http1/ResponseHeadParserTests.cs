using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Tests.Http1;

public sealed class ResponseHeadParserTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.ContentLength), true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.Chunked), true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.Chunked), true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.UntilClose), false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.UntilClose), false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", nameof(RequestMethod.Head), nameof(BodyFraming.None), false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", nameof(RequestMethod.Head), nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.None), false)]
    [InlineData("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.None), false)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.None), false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.ContentLength), false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.ContentLength), false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.ContentLength), true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.ContentLength), true)]
    [InlineData("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", nameof(RequestMethod.Get), nameof(BodyFraming.ContentLength), true)]
    public void Parse_Framing(string raw, string method, string framing, bool keepAlive)
    {
        Assert.Equal(ResponseHeadStatus.Complete, ResponseHeadParser.Parse(Bytes(raw), Enum.Parse<RequestMethod>(method), out var head));
        Assert.Equal(Enum.Parse<BodyFraming>(framing), head.Framing);
        Assert.Equal(keepAlive, head.KeepAlive);
        Assert.Equal(raw.Length, head.Length);
    }

    [Theory]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", 100)]
    [InlineData("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", 103)]
    public void Parse_Interim_IsCompleteAndInterim(string raw, int status)
    {
        Assert.Equal(ResponseHeadStatus.Complete, ResponseHeadParser.Parse(Bytes(raw), RequestMethod.Get, out var head));
        Assert.True(head.IsInterim);
        Assert.Equal(status, head.StatusCode);
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\u0001b\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH\r\n\r\n")]
    public void Parse_NotAValidResponse_IsInvalid(string raw)
    {
        Assert.Equal(ResponseHeadStatus.Invalid, ResponseHeadParser.Parse(Encoding.Latin1.GetBytes(raw), RequestMethod.Get, out _));
    }

    [Fact]
    public void Parse_HopByHopHeaders_AreDropped_ChunkedFramingLineKept()
    {
        var raw = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nAlt-Svc: h3\r\nX-Keep: 1\r\n\r\n";
        var bytes = Bytes(raw);

        ResponseHeadParser.Parse(bytes, RequestMethod.Get, out var head);

        var dropped = Enumerable.Range(0, head.Dropped.Count).Select(i => Encoding.ASCII.GetString(bytes, head.Dropped.Start(i), head.Dropped.Length(i))).ToList();
        Assert.Equal(["Connection: keep-alive\r\n", "Keep-Alive: timeout=5\r\n", "Alt-Svc: h3\r\n"], dropped);
    }

    [Fact]
    public void Parse_PartialHead_IsIncomplete()
    {
        Assert.Equal(ResponseHeadStatus.Incomplete, ResponseHeadParser.Parse(Bytes("HTTP/1.1 200 OK\r\nContent-"), RequestMethod.Get, out _));
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\nX-A: 1\r\n\r\n", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n")]
    [InlineData("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\n")]
    [InlineData("HTTP/1.1 103 Early Hints\r\nContent-Length: 4\r\nLink: </a>\r\n\r\n", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")]
    public void Parse_BodilessStatus_LosesItsFramingFields(string raw, string rewritten)
    {
        Assert.Equal(ResponseHeadStatus.Complete, ResponseHeadParser.Parse(Bytes(raw), RequestMethod.Get, out var head));

        Assert.Equal(rewritten, Rewrite(raw, head));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nX-Internal: 1\r\nConnection: x-internal, keep-alive\r\nX-Public: 1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nX-Public: 1\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: Content-Length, Set-Cookie\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\nTrailer: X\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nClose: 1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    public void Parse_FieldsNamedInConnection_AreDroppedInOrder(string raw, string rewritten)
    {
        Assert.Equal(ResponseHeadStatus.Complete, ResponseHeadParser.Parse(Bytes(raw), RequestMethod.Get, out var head));

        Assert.Equal(rewritten, Rewrite(raw, head));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\n")]
    public void Parse_BareLineFeed_IsInvalidAtOnce_NotIncomplete(string raw)
    {
        Assert.Equal(ResponseHeadStatus.Invalid, ResponseHeadParser.Parse(Bytes(raw), RequestMethod.Get, out _));
    }

    /// <summary>The head as the client gets it: <see cref="HeadWriter.RewriteResponse"/> over a copy with headroom.</summary>
    private static string Rewrite(string raw, ResponseHead head)
    {
        var buffer = new byte[256 + raw.Length];
        Bytes(raw).CopyTo(buffer, 256);
        var start = HeadWriter.RewriteResponse(buffer, 256, head, default);
        return Encoding.ASCII.GetString(buffer, start, 256 + head.Length - start);
    }

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);
}
