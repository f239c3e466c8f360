using System.Text;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Tests.Http1;

public sealed class HopByHopHeadersTests
{
    [Fact]
    public void Names_AreHopByHop_AsBytesAndAsStrings_InAnyCase()
    {
        foreach (var name in HopByHopHeaders.Names)
        {
            foreach (var variant in new[] { name, name.ToLowerInvariant(), name.ToUpperInvariant() })
            {
                Assert.True(HopByHopHeaders.IsHopByHop(variant), variant);
                Assert.True(HopByHopHeaders.IsHopByHop(KnownHeaders.Classify(Encoding.ASCII.GetBytes(variant))), variant);
                Assert.True(HopByHopHeaders.IsHopByHop(KnownHeaders.Classify(variant.AsSpan())), variant);
            }
        }
    }

    [Theory]
    [InlineData("Host")]
    [InlineData("Content-Length")]
    [InlineData("X-Forwarded-For")]
    [InlineData("Expect")]
    [InlineData("X-Custom")]
    [InlineData("Trailers")]
    public void Classify_IsTheSame_ForBytesAndStrings(string name)
    {
        Assert.Equal(KnownHeaders.Classify(Encoding.ASCII.GetBytes(name)), KnownHeaders.Classify(name));
        Assert.Equal(KnownHeaders.Classify(name), KnownHeaders.Classify(name.AsSpan()));
        Assert.False(HopByHopHeaders.IsHopByHop(name));
    }

    [Theory]
    [InlineData("keep-alive", false)]
    [InlineData("close", false)]
    [InlineData("Keep-Alive, Upgrade", false)]
    [InlineData(" , close ,", false)]
    [InlineData("keep-alive, X-Secret", true)]
    [InlineData("content-length", true)]
    public void NamesOtherFields_OnlyForFieldsNotHopByHopAlready(string value, bool expected)
    {
        Assert.Equal(expected, HopByHopHeaders.NamesOtherFields(Encoding.ASCII.GetBytes(value)));
    }

    [Theory]
    [InlineData("Content-Length", true)]
    [InlineData("transfer-encoding", true)]
    [InlineData("Connection", true)]
    [InlineData("Trailer", true)]
    [InlineData("Keep-Alive", true)]
    [InlineData("X-Checksum", false)]
    [InlineData("Server-Timing", false)]
    public void IsForbiddenInTrailers_FramingAndHopByHopFields(string name, bool expected)
    {
        Assert.Equal(expected, HopByHopHeaders.IsForbiddenInTrailers(name));
        Assert.Equal(expected, HopByHopHeaders.IsForbiddenInTrailers(KnownHeaders.Classify(Encoding.ASCII.GetBytes(name))));
    }

    [Theory]
    [InlineData(204, false, 4, false, true)]
    [InlineData(204, false, 0, false, false)]
    [InlineData(204, false, -1, true, true)]
    [InlineData(304, false, 5, false, true)]
    [InlineData(304, false, -1, false, false)]
    [InlineData(200, true, 12, false, true)]
    [InlineData(200, true, 0, false, false)]
    [InlineData(200, false, 12, false, false)]
    [InlineData(103, false, 12, false, false)]
    public void BodilessResponses_ForbidReuse_OnlyWhenTheyAnnouncedABody(int status, bool head, long length, bool transferEncoded, bool expected)
    {
        Assert.Equal(expected, BodilessResponses.ForbidsReuse(status, head, length, transferEncoded));
    }

    [Theory]
    [InlineData(100, true, true)]
    [InlineData(204, true, true)]
    [InlineData(304, true, false)]
    [InlineData(200, false, false)]
    [InlineData(205, false, false)]
    public void BodilessResponses_DropFramingFields(int status, bool transferEncoding, bool contentLength)
    {
        Assert.Equal(transferEncoding, BodilessResponses.DropsTransferEncoding(status));
        Assert.Equal(contentLength, BodilessResponses.DropsContentLength(status));
    }

    [Theory]
    [InlineData("X_Forwarded_For", false, true)]
    [InlineData("X_Forwarded_For", true, false)]
    [InlineData("X-Forwarded-For", false, false)]
    public void UnderscoreHeaders_AreDroppedUnlessAllowed(string name, bool allowed, bool dropped)
    {
        Assert.Equal(dropped, UnderscoreHeaders.IsDropped(name, allowed));
        Assert.Equal(dropped, UnderscoreHeaders.IsDropped(Encoding.ASCII.GetBytes(name), allowed));
    }
}
