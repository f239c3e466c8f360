namespace Ingress.Gateway.Http1;

/// <summary>
/// The rule for request header names with an underscore (<c>X_Forwarded_For</c>, <c>Transfer_Encoding</c>), for both
/// data paths: dropped unless <c>Ingress:Limits:AllowUnderscoresInHeaders</c> is set, as nginx drops them
/// (<c>underscores_in_headers off</c>). CGI-style frameworks (PHP, WSGI, Rack) turn '-' into '_', so such a header
/// would merge with, or stand in for, the gateway's own <c>X-Forwarded-For</c>.
/// </summary>
internal static class UnderscoreHeaders
{
    /// <summary>True when a request header of this name is dropped (<paramref name="allowed"/>: the option is set).</summary>
    public static bool IsDropped(ReadOnlySpan<byte> name, bool allowed) => !allowed && name.Contains((byte)'_');

    /// <inheritdoc cref="IsDropped(ReadOnlySpan{byte}, bool)"/>
    public static bool IsDropped(string name, bool allowed) => !allowed && name.Contains('_', StringComparison.Ordinal);
}
