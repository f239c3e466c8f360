using System.Net.Sockets;

namespace Ingress.LoadTests.Measurement;

/// <summary>Maps the exceptions SocketsHttpHandler throws to a <see cref="TransportErrorKind"/>.</summary>
internal static class TransportErrorClassifier
{
    /// <param name="exception">What the send or the body read threw.</param>
    /// <param name="timedOut">True when our own per-request timeout fired, which surfaces as a plain cancellation.</param>
    public static TransportErrorKind Classify(Exception exception, bool timedOut)
    {
        if (timedOut)
        {
            return TransportErrorKind.Timeout;
        }

        // The socket error, when there is one, is the most precise signal; it sits a few levels down.
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => TransportErrorKind.Refused,
                        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => TransportErrorKind.Reset,
                        SocketError.TimedOut => TransportErrorKind.Timeout,
                        _ => TransportErrorKind.Other,
                    };
                case TimeoutException:
                    return TransportErrorKind.Timeout;
            }
        }

        // A peer that closes mid-response leaves no socket error, only "response ended".
        var requestError = exception switch
        {
            HttpRequestException http => http.HttpRequestError,
            HttpIOException io => io.HttpRequestError,
            _ => HttpRequestError.Unknown,
        };

        return requestError == HttpRequestError.ResponseEnded ? TransportErrorKind.Reset : TransportErrorKind.Other;
    }
}
