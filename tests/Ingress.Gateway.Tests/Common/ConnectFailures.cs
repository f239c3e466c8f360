using System.Net.Sockets;

namespace Ingress.Gateway.Tests.Common;

/// <summary>What SocketsHttpHandler throws when connect() fails: the socket error inside a connection error.</summary>
internal static class ConnectFailures
{
    public static HttpRequestException Of(SocketError socketError) =>
        new(HttpRequestError.ConnectionError, "connect failed", new SocketException((int)socketError));
}
