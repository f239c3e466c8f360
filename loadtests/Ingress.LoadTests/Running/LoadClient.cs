using System.Net;

namespace Ingress.LoadTests.Running;

/// <summary>Builds the one connection pool every virtual user of a run shares.</summary>
internal static class LoadClient
{
    /// <summary>
    /// An <see cref="HttpMessageInvoker"/> (HttpClient's base) over a <see cref="SocketsHttpHandler"/>
    /// tuned for load: one connection per virtual user, nothing that does work per response
    /// (decompression, cookies, proxy lookup, redirects).
    /// </summary>
    /// <remarks>
    /// The invoker rather than HttpClient because HttpClient links a fresh CancellationTokenSource
    /// to every request for its own timeout; the virtual users keep a reusable one each instead.
    /// </remarks>
    public static HttpMessageInvoker Create(LoadOptions options) => new(CreateHandler(options), disposeHandler: true);

    internal static SocketsHttpHandler CreateHandler(LoadOptions options) => new()
    {
        MaxConnectionsPerServer = options.Connections,
        PooledConnectionLifetime = options.PooledConnectionLifetime,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = options.RequestTimeout,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
        AllowAutoRedirect = false,
    };
}
