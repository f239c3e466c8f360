using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Tests.Http1;

public sealed class ResponseStreamScannerTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, true, false)]
    [InlineData("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, false, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok", false, false, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false, true, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked \r\n\r\n2\r\nok\r\n0\r\n\r\n", false, true, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\n\n", false, false, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n", false, false, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz\nanything", false, true, false)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n", false, true, true)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false, true, false)]
    [InlineData("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", false, true, true)]
    [InlineData("HTTP/1.1 304 Not Modified\r\ncontent-length:  5\r\n\r\n", false, true, true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", true, true, true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n0123456789ab", false, true, false)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 1\r\n\r\n", false, true, true)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\n\n\nbinary", false, true, false)]
    [InlineData("\0\0\u0004\u0008\0\0\0\0\0\n\n", false, true, false)]
    public void Scan_AnySplit_GivesTheSameVerdict(string response, bool head, bool valid, bool reuseForbidden)
    {
        var bytes = Encoding.Latin1.GetBytes(response);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var scanner = new ResponseStreamScanner();
            scanner.Reset(head);

            scanner.Scan(bytes.AsSpan(0, cut));
            if (!scanner.IsInvalid)
            {
                scanner.Scan(bytes.AsSpan(cut));
            }

            Assert.True(valid == !scanner.IsInvalid, $"cut at {cut}");
            Assert.Equal(reuseForbidden, scanner.ReuseForbidden);
        }
    }

    [Fact]
    public void Scan_StopsAtTheEndOfABodilessHead_SoWhatFollowsIsTellable()
    {
        var scanner = new ResponseStreamScanner();
        scanner.Reset(headRequest: false);
        var head = "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n"u8;

        Assert.Equal(head.Length, scanner.Scan([.. head, .. "abc"u8]));
        Assert.True(scanner.ReuseForbidden);

        scanner.Reset(headRequest: false);
        Assert.False(scanner.ReuseForbidden);
    }

    [Fact]
    public void Scan_BeforeAnyRequest_LooksAtNothing()
    {
        var scanner = new ResponseStreamScanner();

        Assert.Equal(0, scanner.Scan("garbage\n\n"u8));
        Assert.False(scanner.IsInvalid);
    }
}
