using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Resilience;

/// <summary>Classifies YARP forwarding errors: whose fault they are, and whether a retry is safe.</summary>
internal static class ForwarderFailure
{
    /// <summary>
    /// True when the replica (not the client) failed: a refused, reset, timed-out or silent connection. A request that merely
    /// ran past its activity timeout is not counted: that is a slow request, and ejecting the replica for it would
    /// turn one slow endpoint into an outage of the whole service.
    /// </summary>
    public static bool IsDestinationFault(IForwarderErrorFeature error, HttpContext context)
    {
        // A client that hangs up makes YARP report errors too; they say nothing about the replica (yarp#2062).
        if (context.RequestAborted.IsCancellationRequested || GatewayShortage(error.Exception) is not null)
        {
            return false;
        }

        return error.Error switch
        {
            ForwarderError.Request
                or ForwarderError.ResponseHeaders
                or ForwarderError.RequestBodyDestination
                or ForwarderError.ResponseBodyDestination
                or ForwarderError.UpgradeRequestDestination
                or ForwarderError.UpgradeResponseDestination => true,
            ForwarderError.RequestTimedOut => IsConnectTimeout(error.Exception),
            _ => false,
        };
    }

    /// <summary>
    /// True when retrying on another replica is safe (<see cref="AttemptFailures.IsRetriable"/>) and the request can be
    /// sent again: a body that went out with the failed attempt only from the buffer the retry middleware keeps.
    /// </summary>
    public static bool IsRetriable(IForwarderErrorFeature error, HttpContext context)
    {
        if (context.RequestAborted.IsCancellationRequested || context.Response.HasStarted)
        {
            return false;
        }

        var request = context.Request;
        if (!IsRetriable(error, IsBodilessIdempotent(request), out var failure))
        {
            return false;
        }

        // SocketsHttpHandler connects before it reads a byte of the body; after that, the body was read once.
        return failure == AttemptFailure.NotConnected || !HasBody(request) || request.Body.CanSeek;
    }

    /// <summary>
    /// The rule both paths retry by: whether a request that met <paramref name="error"/> may go to another replica
    /// (<see cref="AttemptFailures.IsRetriable"/>), before either asks whether it still has the request's bytes.
    /// Out of file descriptors or buffers, another connect would fail the same way; out of local ports toward one
    /// replica's address, another replica's has ports of its own.
    /// </summary>
    public static bool IsRetriable(IForwarderErrorFeature error, bool bodilessIdempotent, out AttemptFailure failure)
    {
        failure = Classify(error);
        return GatewayShortage(error.Exception) is not (SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            && AttemptFailures.IsRetriable(failure, bodilessIdempotent);
    }

    /// <summary>
    /// What a YARP error is in the terms both data paths decide retries and ejection by: a connection never made, a
    /// replica that went silent (<see cref="SilentReplicaException"/>, from <see cref="SilentReplicaWatch"/>), or a
    /// connection lost after the request went out (<see cref="ForwarderError.Request"/> covers every failure before
    /// response headers).
    /// </summary>
    internal static AttemptFailure Classify(IForwarderErrorFeature error)
    {
        if (error.Error is ForwarderError.Request or ForwarderError.RequestBodyDestination
            && Find<SilentReplicaException>(error.Exception) is { } silent)
        {
            return silent.Failure;
        }

        if (Find<InvalidReplicaResponseException>(error.Exception) is not null)
        {
            // The replica answered, wrongly: as the relay's invalid responses, not a lost connection to retry.
            return AttemptFailure.Other;
        }

        return error.Error switch
        {
            ForwarderError.Request => NeverReachedDestination(error.Exception) ? AttemptFailure.NotConnected : AttemptFailure.Reset,
            // YARP reports a connect timeout as a timed-out request; no byte was sent.
            ForwarderError.RequestTimedOut when IsConnectTimeout(error.Exception) => AttemptFailure.NotConnected,
            _ => AttemptFailure.Other,
        };
    }

    internal static bool IsBodilessIdempotent(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        && request.ContentLength is null or 0
        && !request.Headers.ContainsKey("Transfer-Encoding");

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || request.Headers.ContainsKey("Transfer-Encoding");

    /// <summary>The first <typeparamref name="T"/> in <paramref name="exception"/> or what it wraps, aggregates included.</summary>
    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        switch (exception)
        {
            case null:
                return null;
            case T found:
                return found;
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find<T>(inner) is { } match)
                    {
                        return match;
                    }
                }

                return null;
            default:
                return Find<T>(exception.InnerException);
        }
    }

    /// <summary>
    /// True when the connection to the replica was never established: SocketsHttpHandler reports connect failures,
    /// and only those, as <see cref="HttpRequestError.ConnectionError"/>. A socket error alone proves nothing: an
    /// established connection can time out or find its host unreachable after a request body was sent.
    /// </summary>
    internal static bool NeverReachedDestination(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }
        }

        return IsConnectTimeout(exception);
    }

    /// <summary>
    /// What the gateway, not the replica, ran short of when a connection failed, or null: a free local port toward the
    /// replica's address (EADDRNOTAVAIL, under a flood of short-lived connections), a file descriptor, buffer space.
    /// That says nothing about the replica, so it ejects none (<see cref="GatewayShortageLog"/> warns instead).
    /// </summary>
    internal static SocketError? GatewayShortage(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable } socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }

    /// <summary>
    /// SocketsHttpHandler's <c>ConnectTimeout</c> surfaces as a cancellation wrapping a <see cref="TimeoutException"/>;
    /// YARP's own activity timeout is a bare cancellation. A task that vanished from the overlay drops SYNs, so this
    /// is how a killed replica usually shows up.
    /// </summary>
    internal static bool IsConnectTimeout(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
