using System.Net.Sockets;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Tests.Common;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>Whose fault a failed connect is, with the exceptions SocketsHttpHandler throws for each errno.</summary>
public sealed class ForwarderFailureTests
{
    [Theory]
    [InlineData(SocketError.ConnectionRefused, true)]
    [InlineData(SocketError.HostUnreachable, true)]
    [InlineData(SocketError.AddressNotAvailable, false)]
    [InlineData(SocketError.TooManyOpenSockets, false)]
    [InlineData(SocketError.NoBufferSpaceAvailable, false)]
    public void ConnectFailure_EjectsTheReplicaOnlyWhenItIsTheReplicasFault(SocketError socketError, bool replicasFault)
    {
        var error = new Failed(ForwarderError.Request, ConnectFailures.Of(socketError));

        Assert.Equal(replicasFault, ForwarderFailure.IsDestinationFault(error, new DefaultHttpContext()));
        Assert.Equal(!replicasFault, ForwarderFailure.GatewayShortage(error.Exception) is not null);
    }

    [Fact]
    public void NoLocalPort_IsStillRetriedOnAnotherReplica()
    {
        // Another replica is another address, with a port range of its own toward it.
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.ContentLength = 10;

        Assert.True(ForwarderFailure.IsRetriable(new Failed(ForwarderError.Request, ConnectFailures.Of(SocketError.AddressNotAvailable)), context));
    }

    [Theory]
    [InlineData(SocketError.TooManyOpenSockets)]
    [InlineData(SocketError.NoBufferSpaceAvailable)]
    public void OutOfDescriptorsOrBuffers_IsNotRetried_AnotherConnectWouldFailTheSameWay(SocketError socketError)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;

        Assert.False(ForwarderFailure.IsRetriable(new Failed(ForwarderError.Request, ConnectFailures.Of(socketError)), context));
        Assert.True(ForwarderFailure.IsRetriable(new Failed(ForwarderError.Request, ConnectFailures.Of(SocketError.ConnectionRefused)), context));
    }

    [Theory]
    [InlineData(ForwarderError.Request)]
    [InlineData(ForwarderError.RequestBodyDestination)]
    public void SilentUnacknowledged_PostWithBody_IsRetriedWhenItsBodyWasKept_NotOtherwise(ForwarderError where)
    {
        var error = new Failed(where, Silent(AttemptFailure.SilentUnacknowledged));
        var kept = Post(new MemoryStream("order"u8.ToArray()));
        var streamed = Post(new NonSeekableStream());

        Assert.True(ForwarderFailure.IsRetriable(error, kept));
        Assert.False(ForwarderFailure.IsRetriable(error, streamed));
        Assert.Equal(AttemptFailure.SilentUnacknowledged, ForwarderFailure.Classify(error));
    }

    [Fact]
    public void SilentAcknowledged_IsRetriedOnlyForABodilessGet_AsAReset()
    {
        var error = new Failed(ForwarderError.Request, Silent(AttemptFailure.SilentAcknowledged));
        var get = new DefaultHttpContext();
        get.Request.Method = HttpMethods.Get;

        Assert.False(ForwarderFailure.IsRetriable(error, Post(new MemoryStream("order"u8.ToArray()))));
        Assert.True(ForwarderFailure.IsRetriable(error, get));
    }

    [Fact]
    public void Silent_IsTheReplicasFault_AndEjectsItLikeAConnectTimeout()
    {
        var error = new Failed(ForwarderError.Request, Silent(AttemptFailure.SilentAcknowledged));

        Assert.True(ForwarderFailure.IsDestinationFault(error, new DefaultHttpContext()));
        Assert.True(AttemptFailures.IsUnreachable(ForwarderFailure.Classify(error)));
        Assert.False(AttemptFailures.IsUnreachable(ForwarderFailure.Classify(new Failed(ForwarderError.Request, new HttpRequestException("reset")))));
    }

    [Fact]
    public void InvalidReplicaResponse_IsNotRetried_EvenForABodilessGet_ButEjectsTheReplica()
    {
        // As the relay treats a response it cannot parse: the replica answered, wrongly; sending the request again is no cure.
        var error = new Failed(ForwarderError.Request, new HttpRequestException(HttpRequestError.Unknown, "invalid", new InvalidReplicaResponseException()));
        var get = new DefaultHttpContext();
        get.Request.Method = HttpMethods.Get;

        Assert.Equal(AttemptFailure.Other, ForwarderFailure.Classify(error));
        Assert.False(ForwarderFailure.IsRetriable(error, get));
        Assert.True(ForwarderFailure.IsDestinationFault(error, get));
    }

    /// <summary>What SocketsHttpHandler makes of the stream's exception: an <see cref="IOException"/> wrapped in a request error.</summary>
    private static HttpRequestException Silent(AttemptFailure failure) =>
        new(HttpRequestError.Unknown, "Error while copying content to a stream.", new SilentReplicaException(failure, TimeSpan.FromSeconds(1)));

    private static DefaultHttpContext Post(Stream body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.ContentLength = 5;
        context.Request.Body = body;
        return context;
    }

    private sealed record Failed(ForwarderError Error, Exception Exception) : IForwarderErrorFeature;

    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
