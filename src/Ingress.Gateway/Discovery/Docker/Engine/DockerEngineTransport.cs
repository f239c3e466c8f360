using System.Net.Security;
using System.Net.Sockets;

namespace Ingress.Gateway.Discovery.Docker.Engine;

/// <summary>
/// The HTTP transport to a Docker endpoint: a <see cref="SocketsHttpHandler"/> that connects to the engine's unix socket
/// for <c>unix://</c>, and over TCP for <c>tcp://</c> (TLS when <c>tls</c> is given), <c>http://</c> or <c>https://</c>.
/// </summary>
internal static class DockerEngineTransport
{
    /// <summary>An <see cref="HttpClient"/> for <paramref name="endpoint"/>, whose relative paths are API paths.</summary>
    public static HttpClient CreateClient(Uri endpoint, SslClientAuthenticationOptions? tls)
    {
        var handler = new SocketsHttpHandler
        {
            // The engine is addressed directly: never through an HTTP_PROXY meant for the outside world.
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        };

        Uri baseAddress;
        if (endpoint.Scheme == "unix")
        {
            var socketPath = endpoint.LocalPath;
            handler.ConnectCallback = (_, cancellationToken) => ConnectUnixAsync(socketPath, cancellationToken);
            baseAddress = new Uri("http://localhost/");
        }
        else
        {
            // As the docker CLI and Docker.DotNet before: client certificates mean TLS, whatever the scheme says.
            var secure = tls is not null || endpoint.Scheme == "https";
            if (tls is not null)
            {
                handler.SslOptions = tls;
            }

            baseAddress = new UriBuilder(secure ? "https" : "http", endpoint.Host, endpoint.Port, "/").Uri;
        }

        // Timeouts are per call (DockerEngineClient): the events stream has none once it is open.
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    private static async ValueTask<Stream> ConnectUnixAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
