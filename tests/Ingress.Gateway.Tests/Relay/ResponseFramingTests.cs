using System.Text;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Relay;

namespace Ingress.Gateway.Tests.Relay;

/// <summary>The relay's framing of a replica's response, byte for byte: what goes to the client and when the response ends.</summary>
public sealed class ResponseFramingTests
{
    [Fact]
    public void ContentLength_SpreadOverReads_EndsAtItsLength_AndBytesPastItSpoilTheConnection()
    {
        var framing = Framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");

        Assert.Equal(3, Consume(ref framing, "hel", out var surplus));
        Assert.False(surplus);
        Assert.Equal(ResponseStage.Body, framing.Stage);

        Assert.Equal(2, Consume(ref framing, "loHTTP/1.1 200", out surplus));
        Assert.True(surplus);
        Assert.Equal(ResponseStage.Done, framing.Stage);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n")]
    [InlineData("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n")]
    public void ABodilessResponse_IsDoneAtItsHead_AndABodyItAnnouncedAnywayIsSurplus(string head)
    {
        var framing = Framing(head);

        Assert.Equal(0, Consume(ref framing, "", out var surplus));
        Assert.False(surplus);
        Assert.Equal(ResponseStage.Done, framing.Stage);

        framing = Framing(head);
        Assert.Equal(0, Consume(ref framing, "body", out surplus));
        Assert.True(surplus);
    }

    [Fact]
    public void Chunked_IsRelayedChunkForChunk_UntilTheLastChunk()
    {
        var framing = Framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        const string body = "5\r\nhello\r\n0\r\n\r\n";

        Assert.Equal(body.Length, Consume(ref framing, body, out var surplus));
        Assert.False(surplus);
        Assert.Equal(ResponseStage.Done, framing.Stage);
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n")]
    [InlineData("5\nhello\r\n")]
    public void BrokenChunks_AreInvalid(string body)
    {
        var framing = Framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");

        Assert.Equal(-1, Consume(ref framing, body, out _));
    }

    [Theory]
    [InlineData(3, "abc")]
    [InlineData(300, null)]
    public void FrameAsChunk_PutsTheSizeLineBeforeTheBytesAndTheCrlfAfterThem(int length, string? data)
    {
        data ??= new string('x', length);
        var buffer = new byte[64 + length];
        const int start = 20;
        Encoding.ASCII.GetBytes(data).CopyTo(buffer, start);

        var chunkStart = ResponseFraming.FrameAsChunk(buffer, start, length);

        Assert.Equal($"{length:x}\r\n{data}\r\n", Encoding.ASCII.GetString(buffer, chunkStart, start - chunkStart + length + 2));
    }

    [Theory]
    [InlineData("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", true, "")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", false, "")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", true, "Connection: close\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", false, "Transfer-Encoding: chunked\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", true, "Transfer-Encoding: chunked\r\nConnection: close\r\n")]
    public void AddedFields_ReframeABodyThatRunsUntilClose_AndSayWhenTheClientsConnectionCloses(string head, bool close, string expected)
    {
        var framing = Framing(head);

        Assert.Equal(expected, Encoding.ASCII.GetString(ResponseFraming.AddedFields(framing.Head, close)));
    }

    private static ResponseFraming Framing(string head)
    {
        var framing = default(ResponseFraming);
        framing.Reset();
        Assert.Equal(ResponseHeadStatus.Complete, ResponseHeadParser.Parse(Encoding.ASCII.GetBytes(head), RequestMethod.Get, out framing.Head));
        if (!framing.Head.IsInterim)
        {
            framing.BeginBody();
        }

        return framing;
    }

    private static int Consume(ref ResponseFraming framing, string bytes, out bool surplus)
    {
        var buffer = Encoding.ASCII.GetBytes(bytes + "\0\0");
        return framing.Consume(buffer, 0, bytes.Length, out _, out surplus);
    }
}
