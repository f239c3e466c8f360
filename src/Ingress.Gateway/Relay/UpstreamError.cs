using System.Net.Sockets;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Transport.Native;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Relay;

/// <summary>
/// A failed attempt of the relay in the terms of YARP's forwarder: the <see cref="ForwarderError"/> and the exception
/// <c>HttpClient</c> would report for the same failure, errno included. Both paths then decide by one set of rules
/// whether a retry is safe (<see cref="ForwarderFailure"/>), whether the gateway ran short of its own resources, and
/// whether the replica leaves rotation (the cluster's <c>IPassiveHealthCheckPolicy</c>).
/// </summary>
internal sealed class UpstreamError(ForwarderError error, Exception exception) : IForwarderErrorFeature
{
    public ForwarderError Error { get; } = error;

    public Exception Exception { get; } = exception;

    Exception? IForwarderErrorFeature.Exception => Exception;

    /// <summary>What <paramref name="failure"/>, with the socket's <paramref name="errno"/>, is in YARP's terms.</summary>
    public static UpstreamError For(UpstreamFailure failure, int errno, long unacknowledgedTimeoutMs) => failure switch
    {
        UpstreamFailure.ConnectFailed => new(ForwarderError.Request, new HttpRequestException(
            HttpRequestError.ConnectionError, "The relay could not connect to the replica.", Socket(errno, SocketError.ConnectionRefused))),
        UpstreamFailure.ConnectTimeout => new(ForwarderError.RequestTimedOut, new TaskCanceledException(
            "The connect to the replica timed out.", new TimeoutException())),
        UpstreamFailure.Reset => new(ForwarderError.Request, new HttpRequestException(
            HttpRequestError.ResponseEnded, "The replica closed the connection before a response head.",
            new IOException("The connection ended.", Socket(errno, SocketError.ConnectionReset)))),
        UpstreamFailure.InvalidResponse => new(ForwarderError.Request, new HttpRequestException(
            HttpRequestError.InvalidResponse, "The replica's response is not valid.", new InvalidReplicaResponseException())),
        UpstreamFailure.ActivityTimeout => new(ForwarderError.RequestTimedOut, new OperationCanceledException(
            "The replica was silent for longer than the activity timeout.")),
        UpstreamFailure.Unacknowledged => new(ForwarderError.Request, new SilentReplicaException(
            AttemptFailure.SilentUnacknowledged, TimeSpan.FromMilliseconds(unacknowledgedTimeoutMs))),
        UpstreamFailure.SilentAfterPartOfTheRequest => new(ForwarderError.Request, new SilentReplicaException(
            AttemptFailure.SilentAcknowledged, TimeSpan.FromMilliseconds(unacknowledgedTimeoutMs))),
        UpstreamFailure.ResponseBodyCut => new(ForwarderError.ResponseBodyDestination, new IOException(
            "The replica's response ended in the middle of its body.", Socket(errno, SocketError.ConnectionReset))),
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };

    private static SocketException Socket(int errno, SocketError otherwise) =>
        new((int)(errno == 0 ? otherwise : Errno.ToSocketError(errno)));
}
