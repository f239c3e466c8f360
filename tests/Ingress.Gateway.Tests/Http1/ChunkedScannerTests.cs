using System.Text;
using CsCheck;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Tests.Http1;

public sealed class ChunkedScannerTests
{
    private const string Body = "5\r\nhello\r\n1A;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n";

    [Fact]
    public void Scan_WholeBodyWithExtensionAndTrailer_EndsExactlyAtItsEnd()
    {
        var scanner = new ChunkedScanner();
        var bytes = Encoding.ASCII.GetBytes(Body + "HTTP/1.1 200 OK");

        var consumed = scanner.Scan(bytes);

        Assert.True(scanner.IsDone);
        Assert.Equal(Body.Length, consumed);
    }

    [Fact]
    public void Scan_AnySplitOfTheBody_EndsAtTheSamePlace()
    {
        var bytes = Encoding.ASCII.GetBytes(Body);
        Gen.Int[1, bytes.Length].Array[1, 8].Sample(cuts =>
        {
            var scanner = new ChunkedScanner();
            var position = 0;
            foreach (var cut in cuts.Order().Append(bytes.Length))
            {
                if (cut > position)
                {
                    position += scanner.Scan(bytes.AsSpan(position, cut - position));
                }
            }

            Assert.True(scanner.IsDone);
            Assert.Equal(bytes.Length, position);
        }, iter: 2000);
    }

    [Theory]
    [InlineData("5 \t;ext\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5  \r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=\"b c\"\r\nhello\r\n0\r\nX-A:\r\nX-B: v\tw\r\n\r\n")]
    public void Scan_WhitespaceBeforeAnExtension_AndWellFormedTrailers_AreAccepted(string body)
    {
        var scanner = new ChunkedScanner();

        var consumed = scanner.Scan(Encoding.ASCII.GetBytes(body));

        Assert.True(scanner.IsDone);
        Assert.Equal(body.Length, consumed);
    }

    [Theory]
    [InlineData("5\r\nhelloX\r\n")]
    [InlineData("g\r\n")]
    [InlineData("\r\n")]
    [InlineData("5\nhello\r\n")]
    [InlineData("1000000000000000\r\n")]
    [InlineData("0\r\nbad\n")]
    [InlineData("5 junk\r\nhello\r\n")]
    [InlineData("5;a=\u0000\r\nhello\r\n")]
    [InlineData("0\r\nno colon here\r\n\r\n")]
    [InlineData("0\r\nX-A: 1\r\n folded\r\n\r\n")]
    [InlineData("0\r\nX A: 1\r\n\r\n")]
    public void Scan_BrokenFraming_IsInvalid(string body)
    {
        var scanner = new ChunkedScanner();

        scanner.Scan(Encoding.ASCII.GetBytes(body));

        Assert.True(scanner.IsInvalid);
        Assert.False(scanner.IsDone);
    }

    private const string WithTrailers = "2\r\nok\r\n0\r\nContent-Length: 5\r\nX-Checksum: 1\r\nconnection: close\r\n" +
        "X-A-Trailer-Name-Longer-Than-The-Held-Limit: 2\r\nTransfer-Encoding: gzip\r\nTrailer: X\r\n\r\n";

    private const string Filtered = "2\r\nok\r\n0\r\nX-Checksum: 1\r\nX-A-Trailer-Name-Longer-Than-The-Held-Limit: 2\r\n\r\n";

    [Fact]
    public void MaxHeldName_IsLongerThanAnyForbiddenTrailerName()
    {
        // A name held back this long is kept without a look: no forbidden one may be that long.
        Assert.All(HopByHopHeaders.Names.Append("Content-Length"), name => Assert.True(name.Length < ChunkedScanner.MaxHeldName, name));
    }

    [Fact]
    public void Relay_TakesForbiddenTrailerFieldsOut_AndKeepsTheRest()
    {
        var scanner = new ChunkedScanner();
        var buffer = new byte[64 + WithTrailers.Length + 10];
        Encoding.ASCII.GetBytes(WithTrailers + "HTTP/").CopyTo(buffer, 64);

        var consumed = scanner.Relay(buffer, 64, WithTrailers.Length + 5, out var start, out var length);

        Assert.True(scanner.IsDone);
        Assert.Equal(WithTrailers.Length, consumed);
        Assert.Equal(Filtered, Encoding.ASCII.GetString(buffer, start, length));
    }

    [Fact]
    public void Relay_AnySplitOfTheBody_ForwardsTheSameBytes()
    {
        var bytes = Encoding.ASCII.GetBytes(WithTrailers);
        for (var first = 0; first <= bytes.Length; first++)
        {
            for (var second = first; second <= bytes.Length; second += 3)
            {
                var scanner = new ChunkedScanner();
                var forwarded = new StringBuilder();
                var position = 0;
                foreach (var cut in new[] { first, second, bytes.Length })
                {
                    // Each read lands after the headroom of a fresh buffer, as in the relay's upstream buffer.
                    var buffer = new byte[ChunkedScanner.MaxHeldName + bytes.Length];
                    bytes.AsSpan(position, cut - position).CopyTo(buffer.AsSpan(ChunkedScanner.MaxHeldName));
                    position += scanner.Relay(buffer, ChunkedScanner.MaxHeldName, cut - position, out var start, out var length);
                    forwarded.Append(Encoding.ASCII.GetString(buffer, start, length));
                }

                Assert.True(scanner.IsDone, $"{first}/{second}");
                Assert.Equal(Filtered, forwarded.ToString());
            }
        }
    }

    [Fact]
    public void Relay_EveryTrailerForbidden_LeavesTheLastChunkAndTheEnd()
    {
        var scanner = new ChunkedScanner();
        var body = Encoding.ASCII.GetBytes("0\r\nKeep-Alive: 1\r\n\r\n");

        scanner.Relay(body, 0, body.Length, out var start, out var length);

        Assert.Equal("0\r\n\r\n", Encoding.ASCII.GetString(body, start, length));
    }
}
