using System.Net.Sockets;
using Ingress.Gateway.Relay;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Transport.Native;
using Ingress.Testing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Tests.Relay;

/// <summary>
/// The relay describes each failed attempt as YARP's forwarder would, so that one set of rules (retry, shortage,
/// passive health, 502 or 504) decides for both paths.
/// </summary>
public sealed class UpstreamErrorTests
{
    public static TheoryData<int, int, int, bool, bool, bool, bool> Failures => new()
    {
        // failure, errno, kind, replica's fault, retriable (any request), retriable (bodiless GET), timed out (504)
        { (int)UpstreamFailure.ConnectFailed, Errno.ECONNREFUSED, (int)AttemptFailure.NotConnected, true, true, true, false },
        { (int)UpstreamFailure.ConnectFailed, Errno.EHOSTUNREACH, (int)AttemptFailure.NotConnected, true, true, true, false },
        { (int)UpstreamFailure.ConnectFailed, Errno.EADDRNOTAVAIL, (int)AttemptFailure.NotConnected, false, true, true, false },
        { (int)UpstreamFailure.ConnectFailed, Errno.EMFILE, (int)AttemptFailure.NotConnected, false, false, false, false },
        { (int)UpstreamFailure.ConnectFailed, Errno.ENOBUFS, (int)AttemptFailure.NotConnected, false, false, false, false },
        { (int)UpstreamFailure.ConnectTimeout, 0, (int)AttemptFailure.NotConnected, true, true, true, true },
        { (int)UpstreamFailure.Reset, Errno.ECONNRESET, (int)AttemptFailure.Reset, true, false, true, false },
        { (int)UpstreamFailure.Reset, 0, (int)AttemptFailure.Reset, true, false, true, false },
        { (int)UpstreamFailure.InvalidResponse, 0, (int)AttemptFailure.Other, true, false, false, false },
        { (int)UpstreamFailure.ActivityTimeout, 0, (int)AttemptFailure.Other, false, false, false, true },
        { (int)UpstreamFailure.Unacknowledged, 0, (int)AttemptFailure.SilentUnacknowledged, true, true, true, false },
        { (int)UpstreamFailure.SilentAfterPartOfTheRequest, 0, (int)AttemptFailure.SilentAcknowledged, true, false, true, false },
        { (int)UpstreamFailure.ResponseBodyCut, Errno.ECONNRESET, (int)AttemptFailure.Other, true, false, false, false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void EachFailure_ReadsAsYarpsPathWouldReadIt(
        int failure, int errno, int kind, bool fault, bool retriable, bool retriableBodiless, bool timedOut)
    {
        // (The enums are internal; xunit's theories are public.)
        var error = UpstreamError.For((UpstreamFailure)failure, errno, unacknowledgedTimeoutMs: 1000);

        Assert.Equal((AttemptFailure)kind, ForwarderFailure.Classify(error));
        Assert.Equal(fault, ForwarderFailure.IsDestinationFault(error, new DefaultHttpContext()));
        Assert.Equal(retriable, ForwarderFailure.IsRetriable(error, bodilessIdempotent: false, out _));
        Assert.Equal(retriableBodiless, ForwarderFailure.IsRetriable(error, bodilessIdempotent: true, out _));
        Assert.Equal(timedOut, error.Error == ForwarderError.RequestTimedOut);
    }

    [Theory]
    [InlineData(Errno.ECONNREFUSED, SocketError.ConnectionRefused)]
    [InlineData(Errno.ECONNRESET, SocketError.ConnectionReset)]
    [InlineData(Errno.EHOSTUNREACH, SocketError.HostUnreachable)]
    [InlineData(Errno.ETIMEDOUT, SocketError.TimedOut)]
    [InlineData(Errno.EADDRNOTAVAIL, SocketError.AddressNotAvailable)]
    [InlineData(Errno.EMFILE, SocketError.TooManyOpenSockets)]
    [InlineData(Errno.ENOMEM, SocketError.NoBufferSpaceAvailable)]
    public void Errno_MapsToTheSocketErrorDotNetReports(int errno, SocketError expected) =>
        Assert.Equal(expected, Errno.ToSocketError(errno));

    [Fact]
    public async Task ARefusedConnect_ReadsTheSame_FromTheRelayAndFromARealHttpClient()
    {
        // What SocketsHttpHandler really throws for a refused connect on loopback, as YARP's forwarder reports it.
        var port = FreePort.Next();
        using var client = new HttpClient();
        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"http://127.0.0.1:{port}/")));
        var yarp = new Feature(ForwarderError.Request, thrown);
        var relay = UpstreamError.For(UpstreamFailure.ConnectFailed, Errno.ECONNREFUSED, unacknowledgedTimeoutMs: 1000);

        Assert.Equal(ForwarderFailure.Classify(yarp), ForwarderFailure.Classify(relay));
        Assert.Equal(ForwarderFailure.IsDestinationFault(yarp, new DefaultHttpContext()), ForwarderFailure.IsDestinationFault(relay, new DefaultHttpContext()));
        Assert.Equal(ForwarderFailure.GatewayShortage(yarp.Exception), ForwarderFailure.GatewayShortage(relay.Exception));
        Assert.Equal(
            Assert.IsType<SocketException>(thrown.InnerException).SocketErrorCode,
            Assert.IsType<SocketException>(relay.Exception.InnerException).SocketErrorCode);
    }

    private sealed record Feature(ForwarderError Error, Exception? Exception) : IForwarderErrorFeature;
}
