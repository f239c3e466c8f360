using System.Globalization;
using System.Text;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// The answer when a service has no replica in rotation, the same on both paths: 503 with a plain-text body that names
/// the service, <c>Retry-After</c> and <c>Cache-Control: no-store</c>.
/// </summary>
internal static class NoReplicaAnswer
{
    public const int StatusCode = 503;

    public const string ContentType = "text/plain; charset=utf-8";

    public const string CacheControl = "no-store";

    public static string Body(string service) =>
        $"503 Service Unavailable: no healthy replica of '{service}' right now; retry shortly.\n";

    /// <summary>The whole HTTP/1.1 response as bytes, for writers that do not go through Kestrel.</summary>
    public static byte[] Http11(string service, int retryAfterSeconds, bool close)
    {
        var body = Body(service);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {StatusCode} Service Unavailable\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {ContentType}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Retry-After: {retryAfterSeconds}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Cache-Control: {CacheControl}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n")
            .Append(close ? "Connection: close\r\n" : string.Empty)
            .Append("\r\n")
            .Append(body);
        return Encoding.UTF8.GetBytes(head.ToString());
    }
}
