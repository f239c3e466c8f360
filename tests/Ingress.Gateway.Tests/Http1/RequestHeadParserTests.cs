using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Tests.Http1;

public sealed class RequestHeadParserTests
{
    [Fact]
    public void Parse_SimpleGet_IsCompleteWithEveryPartLocated()
    {
        var bytes = Bytes("GET /a/b?x=1%20 HTTP/1.1\r\nHost: shop.example.com:8888\r\nAccept: */*\r\n\r\n");

        var status = RequestHeadParser.Parse(bytes, 16384, out var head, out var reason);

        Assert.Equal(RequestHeadStatus.Complete, status);
        Assert.Equal(HandoffReason.None, reason);
        Assert.Equal(bytes.Length, head.Length);
        Assert.Equal(RequestMethod.Get, head.Method);
        Assert.Equal("/a/b?x=1%20", Text(head.Target(bytes)));
        Assert.Equal("/a/b", Text(head.Path(bytes)));
        Assert.Equal("shop.example.com:8888", Text(head.Host(bytes)));
        Assert.Equal("shop.example.com", Text(head.HostName(bytes)));
        Assert.Equal(0, head.ContentLength);
        Assert.False(head.ConnectionClose);
    }

    [Fact]
    public void Parse_PartialHead_IsIncomplete()
    {
        var status = RequestHeadParser.Parse(Bytes("GET / HTTP/1.1\r\nHost: a\r\n"), 16384, out _, out var reason);

        Assert.Equal(RequestHeadStatus.Incomplete, status);
        Assert.Equal(HandoffReason.None, reason);
    }

    [Fact]
    public void Parse_HeadThatFillsTheBufferWithoutEnding_IsHandedOffForSize()
    {
        var bytes = Bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('x', 200));

        var status = RequestHeadParser.Parse(bytes, bytes.Length, out _, out var reason);

        Assert.Equal(RequestHeadStatus.Handoff, status);
        Assert.Equal(HandoffReason.Size, reason);
    }

    [Theory]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", nameof(HandoffReason.Version))]
    [InlineData("GET / HTTP/2.0\r\nHost: a\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("GET /a/./b HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("GET //a HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Target))]
    [InlineData("GET /?a#b HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", nameof(HandoffReason.Upgrade))]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\n", nameof(HandoffReason.Upgrade))]
    [InlineData("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Upgrade))]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", nameof(HandoffReason.Expect))]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(HandoffReason.TransferEncoding))]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(HandoffReason.TransferEncoding))]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: bad host!\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a.\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a:99999999\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost : a\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\u00e9\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", nameof(HandoffReason.Malformed))]
    [InlineData("GARBAGE\r\n\r\n", nameof(HandoffReason.Malformed))]
    public void Parse_RequestTheRelayLeavesToKestrel_IsHandedOffWithItsReason(string raw, string expected)
    {
        var status = RequestHeadParser.Parse(Latin1(raw), 16384, out _, out var reason);

        Assert.Equal(RequestHeadStatus.Handoff, status);
        Assert.Equal(Enum.Parse<HandoffReason>(expected), reason);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: a\n")]
    [InlineData("GARBAGE\r\n")]
    [InlineData("GET / HTTP/1.0\r\nHost: a")]
    public void Parse_IncompleteButAlreadyHopeless_IsHandedOffAtOnce(string raw)
    {
        Assert.Equal(RequestHeadStatus.Handoff, RequestHeadParser.Parse(Bytes(raw), 16384, out _, out _));
    }

    [Fact]
    public void Parse_MoreHeadersThanKestrelAllows_IsHandedOffForSize()
    {
        var raw = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (var i = 0; i < RequestHeadParser.MaxHeaderCount; i++)
        {
            raw.Append("X-H").Append(i).Append(": v\r\n");
        }

        RequestHeadParser.Parse(Bytes(raw.Append("\r\n").ToString()), 16384, out _, out var reason);

        Assert.Equal(HandoffReason.Size, reason);
    }

    [Fact]
    public void Parse_DropsHostHopByHopAndForwardingHeaders_KeepsTheRestAndContentLength()
    {
        var raw = "POST /x HTTP/1.1\r\nHost: a\r\nX-Keep: 1\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nTE: trailers\r\n" +
            "Proxy-Connection: x\r\nX-Forwarded-For: 6.6.6.6\r\nforwarded: for=x\r\nUpgrade-Insecure-Requests: 1\r\nContent-Length: 2\r\nX-Also: 2\r\n\r\nhi";
        var bytes = Bytes(raw);

        RequestHeadParser.Parse(bytes, 16384, out var head, out _);

        var dropped = Enumerable.Range(0, head.Dropped.Count).Select(i => Text(bytes.AsSpan(head.Dropped.Start(i), head.Dropped.Length(i)))).ToList();
        Assert.Equal(["Host: a\r\n", "Connection: keep-alive\r\n", "Keep-Alive: 5\r\n", "TE: trailers\r\n", "Proxy-Connection: x\r\n",
            "X-Forwarded-For: 6.6.6.6\r\n", "forwarded: for=x\r\n", "Upgrade-Insecure-Requests: 1\r\n"], dropped);
        Assert.Equal(2, head.ContentLength);
        Assert.Equal(raw.Length - 2, head.Length);
    }

    [Theory]
    [InlineData("Connection: close", true)]
    [InlineData("Connection: Keep-Alive, CLOSE", true)]
    [InlineData("Connection: keep-alive", false)]
    public void Parse_ConnectionHeader_SetsCloseFlag(string header, bool close)
    {
        RequestHeadParser.Parse(Bytes($"GET / HTTP/1.1\r\nHost: a\r\n{header}\r\n\r\n"), 16384, out var head, out _);

        Assert.Equal(close, head.ConnectionClose);
    }

    [Theory]
    [InlineData("[::1]:8888", "[::1]")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("A.Example.COM:80", "A.Example.COM")]
    public void Parse_HostValue_SplitsNameFromPort(string host, string name)
    {
        var bytes = Bytes($"GET / HTTP/1.1\r\nHost:   {host}  \r\n\r\n");

        Assert.Equal(RequestHeadStatus.Complete, RequestHeadParser.Parse(bytes, 16384, out var head, out _));
        Assert.Equal(host, Text(head.Host(bytes)));
        Assert.Equal(name, Text(head.HostName(bytes)));
    }

    [Theory]
    [InlineData("BREW", nameof(RequestMethod.Other))]
    [InlineData("PATCH", nameof(RequestMethod.Patch))]
    [InlineData("HEAD", nameof(RequestMethod.Head))]
    [InlineData("get", nameof(RequestMethod.Other))]
    public void Parse_Method_IsClassifiedCaseSensitively(string method, string expected)
    {
        RequestHeadParser.Parse(Bytes($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n"), 16384, out var head, out _);

        Assert.Equal(Enum.Parse<RequestMethod>(expected), head.Method);
    }

    [Theory]
    [InlineData(false, new[] { "Host: a\r\n", "X_Forwarded_For: 6.6.6.6\r\n", "transfer_encoding: chunked\r\n" })]
    [InlineData(true, new[] { "Host: a\r\n" })]
    public void Parse_HeaderNamesWithUnderscores_AreDroppedUnlessAllowed(bool allowed, string[] expected)
    {
        var bytes = Bytes("GET / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 6.6.6.6\r\nX-Keep: 1\r\ntransfer_encoding: chunked\r\n\r\n");

        Assert.Equal(RequestHeadStatus.Complete, RequestHeadParser.Parse(bytes, 16384, out var head, out _, allowed));

        Assert.Equal(expected, Dropped(bytes, head));
    }

    [Theory]
    [InlineData("X-A: 1\r\nConnection: x-b, X-A\r\nX-B: 2\r\nX-C: 3\r\n", new[] { "X-A: 1\r\n", "Connection: x-b, X-A\r\n", "X-B: 2\r\n" })]
    [InlineData("Connection: keep-alive\r\nConnection: x-c\r\nX-C: 3\r\n", new[] { "Connection: keep-alive\r\n", "Connection: x-c\r\n", "X-C: 3\r\n" })]
    [InlineData("Connection: Content-Length, Host, X-Forwarded-For\r\nContent-Length: 0\r\n", new[] { "Connection: Content-Length, Host, X-Forwarded-For\r\n" })]
    [InlineData("Trailer: X-T\r\nConnection: keep-alive\r\n", new[] { "Trailer: X-T\r\n", "Connection: keep-alive\r\n" })]
    public void Parse_FieldsNamedInConnection_AreDroppedInOrder_ButNotTheFramingOnes(string headers, string[] dropped)
    {
        var bytes = Bytes("POST / HTTP/1.1\r\n" + headers + "Host: a\r\n\r\n");

        Assert.Equal(RequestHeadStatus.Complete, RequestHeadParser.Parse(bytes, 16384, out var head, out _));

        Assert.Equal([.. dropped, "Host: a\r\n"], Dropped(bytes, head));
    }

    private static List<string> Dropped(byte[] bytes, RequestHead head) =>
        [.. Enumerable.Range(0, head.Dropped.Count).Select(i => Text(bytes.AsSpan(head.Dropped.Start(i), head.Dropped.Length(i))))];

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);
}
