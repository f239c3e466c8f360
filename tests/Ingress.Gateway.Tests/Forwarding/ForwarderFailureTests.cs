using System.Net.Sockets;
using Ingress.Gateway.Forwarding;
using Ingress.Gateway.Tests.Common;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Tests.Forwarding;

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

    private sealed record Failed(ForwarderError Error, Exception Exception) : IForwarderErrorFeature;
}
