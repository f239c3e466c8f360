namespace Ingress.Gateway.Configuration;

/// <summary>Protective limits on the public entry listeners (<c>Ingress:Limits</c>).</summary>
/// <remarks>
/// Defaults: 10,000 open connections per entry port (connections past it get an immediate 503 and are closed);
/// request headers at most 32 KB in total (431 past it) and received within 10 s; bodies at most 30 MB (413 past it);
/// a body must arrive at 240 bytes/s or faster after a 5 s grace period. Slow clients are cut off without holding
/// threads, so they cannot starve others. Request header names with an underscore are dropped.
/// </remarks>
public sealed class GatewayLimitsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Limits";

    /// <summary>Open connections allowed per entry port.</summary>
    public int MaxConnectionsPerEntryPort { get; set; } = 10_000;

    /// <summary>The largest total size of a request's headers, in bytes.</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>The largest request body, in bytes; null for no limit.</summary>
    public long? MaxRequestBodySize { get; set; } = 30_000_000;

    /// <summary>How long a client has to send the request line and headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The slowest accepted request body rate, in bytes per second.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a body may be slower than <see cref="MinRequestBodyBytesPerSecond"/> before the request is cut off.</summary>
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an idle keep-alive connection stays open.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// Forward request headers whose name has an underscore (<c>X_Forwarded_For</c>). Off by default, as nginx's
    /// <c>underscores_in_headers</c>: CGI-style frameworks merge them with the gateway's own <c>X-Forwarded-For</c>.
    /// </summary>
    public bool AllowUnderscoresInHeaders { get; set; }
}
