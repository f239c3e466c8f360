namespace Ingress.Gateway.Http1;

/// <summary>
/// The framing rule for responses that cannot have content (RFC 9112, 6.3): 1xx, 204 and 304, and any answer to HEAD.
/// For both data paths: which framing fields the client still gets, and when the connection to the replica is done for.
/// </summary>
internal static class BodilessResponses
{
    /// <summary>True when the response to a request (<paramref name="headRequest"/>: a HEAD) has no content, whatever its head says.</summary>
    public static bool HasNoContent(int status, bool headRequest) => headRequest || IsBodilessStatus(status);

    /// <summary>1xx, 204 and 304: statuses that never have content.</summary>
    public static bool IsBodilessStatus(int status) => status is (>= 100 and < 200) or 204 or 304;

    /// <summary><c>Transfer-Encoding</c> on a 1xx, 204 or 304 is removed (RFC 9112, 6.1: a server must not send it there).</summary>
    public static bool DropsTransferEncoding(int status) => IsBodilessStatus(status);

    /// <summary>
    /// <c>Content-Length</c> on a 1xx or 204 is removed (RFC 9110, 8.6). A 304 keeps it: there it is the length of the
    /// representation the client already has, and a HEAD response's is the length a GET would have.
    /// </summary>
    public static bool DropsContentLength(int status) => status is (>= 100 and < 200) or 204;

    /// <summary>
    /// True when a final response without content announced some (<c>Content-Length</c> over 0, or a transfer coding):
    /// the replica may well send that body anyway, late, and those bytes would be read as the answer to the next request
    /// on the connection. So the connection is not used again. (An honest HEAD answer with its length costs a new
    /// connection for the next request; a replica that lies cannot be told from it.)
    /// </summary>
    public static bool ForbidsReuse(int status, bool headRequest, long contentLength, bool transferEncoded) =>
        status >= 200 && HasNoContent(status, headRequest) && (contentLength > 0 || transferEncoded);
}
