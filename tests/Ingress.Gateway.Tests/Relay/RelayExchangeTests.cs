using System.Text;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Relay;
using Ingress.Gateway.Resilience;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ingress.Gateway.Tests.Relay;

/// <summary>The state of one relayed request: its body's data-rate clock, what of the buffer it owns, and when it may be sent twice.</summary>
public sealed class RelayExchangeTests
{
    private static readonly RelaySettings Settings = RelaySettings.From(
        new KestrelServerLimits { MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(5)) },
        new GatewayLimitsOptions(),
        new ResilienceOptions());

    [Fact]
    public void TheBodyClock_RunsOnlyWhileTheRelayWaitsOnTheClient_AsKestrelsDoes()
    {
        var exchange = Start("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10000\r\n\r\n");

        // The replica was slow to take the head: no time counts against the client yet.
        Assert.False(exchange.IsBodyTooSlow(60_000, Settings));

        exchange.StartBodyWait(60_000);
        Assert.False(exchange.IsBodyTooSlow(65_000, Settings)); // within the grace period
        Assert.True(exchange.IsBodyTooSlow(65_001, Settings));  // 5 s and nothing: under 100 B/s

        exchange.BodyRead(600, 65_001);
        Assert.False(exchange.IsBodyTooSlow(90_000, Settings)); // not waiting on the client: the clock stands still
        exchange.StartBodyWait(90_000);
        Assert.False(exchange.IsBodyTooSlow(90_999, Settings)); // 600 B in 6.000 s: 100 B/s
        Assert.True(exchange.IsBodyTooSlow(91_100, Settings));  // 600 B in 6.1 s: under
    }

    [Fact]
    public void NoDataRate_MeansNoBodyIsTooSlow()
    {
        var settings = RelaySettings.From(new KestrelServerLimits { MinRequestBodyDataRate = null }, new GatewayLimitsOptions(), new ResilienceOptions());
        var exchange = Start("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");

        exchange.StartBodyWait(0);

        Assert.False(exchange.IsBodyTooSlow(3_600_000, settings));
    }

    [Fact]
    public void AReplayableRequest_OwnsItsHeadAndBody_AndWhatFollowsIsTheNextRequest()
    {
        const string request = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
        const string next = "GET / HTTP/1.1\r\n";
        var exchange = Start(request + next);

        Assert.Equal(0, exchange.BodyToRead);
        Assert.Equal(request.Length, exchange.Consumed(request.Length + next.Length));

        var streamed = Start("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\nabc");
        streamed.BodyRead(27, 0);
        Assert.False(streamed.Replayable);
        Assert.Equal(5, streamed.Consumed(5)); // the buffer holds only what was read after the body
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true)]
    [InlineData("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", false)]
    [InlineData("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", false)]
    public void BodilessIdempotent_IsWhatMayBeSentTwiceAfterAReplicaSawIt(string request, bool expected) =>
        Assert.Equal(expected, Start(request).IsBodilessIdempotent);

    private static RelayExchange Start(string request)
    {
        var bytes = Encoding.ASCII.GetBytes(request);
        var exchange = new RelayExchange();
        Assert.Equal(RequestHeadStatus.Complete, RequestHeadParser.Parse(bytes, 16 * 1024, out exchange.Head, out _));
        exchange.Start(route: null!, cluster: null!, bytes.Length, closeAfterResponse: false, startedTicks: 0);
        return exchange;
    }
}
