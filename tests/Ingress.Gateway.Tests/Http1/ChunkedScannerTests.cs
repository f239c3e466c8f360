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
}
