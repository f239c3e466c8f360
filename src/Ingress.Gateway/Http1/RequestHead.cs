namespace Ingress.Gateway.Http1;

/// <summary>Where a parsed request head's parts are in the buffer it was parsed from. Offsets, no copies.</summary>
internal struct RequestHead
{
    /// <summary>The length of the head: request line, headers and the empty line.</summary>
    public int Length;

    public RequestMethod Method;

    /// <summary>The method token is <c>[0, MethodLength)</c>.</summary>
    public int MethodLength;

    /// <summary>The request target (origin form: path and query) starts here.</summary>
    public int TargetStart;

    public int TargetLength;

    /// <summary>The path part of the target, before any '?'.</summary>
    public int PathLength;

    /// <summary>The first header line starts here (just after the request line's CRLF).</summary>
    public int HeadersStart;

    /// <summary>The Host header's value (trimmed).</summary>
    public int HostStart;

    public int HostLength;

    /// <summary>The host name part of the Host value, without the port (what host routing matches).</summary>
    public int HostNameLength;

    /// <summary>The Content-Length, or 0 when the request has none (the relay takes no other kind of body).</summary>
    public long ContentLength;

    /// <summary>
    /// The request has no Content-Length and a method that usually carries a body (POST, PUT, PATCH, ...): the replica gets
    /// <c>Content-Length: 0</c>, as HttpClient sends it under YARP, so origins that insist on a length (411) accept it.
    /// </summary>
    public bool NeedsZeroContentLength;

    /// <summary>The client asked to close the connection after this exchange (<c>Connection: close</c>).</summary>
    public bool ConnectionClose;

    /// <summary>Header lines not forwarded: Host (replaced), hop-by-hop and proxy headers, and <c>X-Forwarded-*</c> (replaced).</summary>
    public LineRanges Dropped;

    public readonly ReadOnlySpan<byte> Target(ReadOnlySpan<byte> buffer) => buffer.Slice(TargetStart, TargetLength);

    public readonly ReadOnlySpan<byte> Path(ReadOnlySpan<byte> buffer) => buffer.Slice(TargetStart, PathLength);

    public readonly ReadOnlySpan<byte> Host(ReadOnlySpan<byte> buffer) => buffer.Slice(HostStart, HostLength);

    public readonly ReadOnlySpan<byte> HostName(ReadOnlySpan<byte> buffer) => buffer.Slice(HostStart, HostNameLength);

    public readonly ReadOnlySpan<byte> MethodToken(ReadOnlySpan<byte> buffer) => buffer[..MethodLength];
}

/// <summary>The outcome of parsing what a client has sent so far.</summary>
internal enum RequestHeadStatus
{
    /// <summary>The head is not complete yet; read more.</summary>
    Incomplete,

    /// <summary>A complete head the relay forwards itself.</summary>
    Complete,

    /// <summary>Valid or not, this request is for Kestrel and the YARP pipeline (see <see cref="HandoffReason"/>).</summary>
    Handoff,
}

/// <summary>
/// Why a connection was handed to Kestrel and the YARP pipeline rather than relayed. Everything the relay does not do
/// itself goes there, including every request Kestrel would reject, so that the client gets exactly Kestrel's answer.
/// </summary>
internal enum HandoffReason
{
    /// <summary>Not handed off.</summary>
    None,

    /// <summary>A request line, header or Host Kestrel would reject (it answers 400), or that the relay does not parse.</summary>
    Malformed,

    /// <summary>HTTP/1.0, or a version other than 1.1.</summary>
    Version,

    /// <summary>A target other than a plain path: percent-encoded or dot segments, empty segments, absolute or asterisk form.</summary>
    Target,

    /// <summary>A protocol upgrade (WebSocket, h2c) or CONNECT.</summary>
    Upgrade,

    /// <summary><c>Expect: 100-continue</c>.</summary>
    Expect,

    /// <summary>A chunked (or otherwise transfer-encoded) request body.</summary>
    TransferEncoding,

    /// <summary>A head larger than the relay's buffer, more headers than Kestrel allows, or too many dropped lines; Kestrel answers or 431s it.</summary>
    Size,

    /// <summary>A body over the request body limit (Kestrel answers 413).</summary>
    BodySize,

    /// <summary>No route, or a route whose match (methods, headers, query, path pattern) the relay does not evaluate.</summary>
    Route,

    /// <summary>The route's cluster needs the YARP pipeline: its load-balancing policy, session affinity, TLS or host-name destinations, transforms, or route policies.</summary>
    Cluster,

    /// <summary>The route may answer with a redirect (<c>ingress.redirect.*</c>), which the YARP path answers.</summary>
    Redirect,

    /// <summary>The route changes paths, headers or compresses responses (<c>ingress.path.strip</c>/<c>.add</c>, <c>ingress.*.headers.*</c>, <c>ingress.compress</c>), or its cluster is sticky (<c>ingress.sticky</c>), which the YARP path does.</summary>
    Policy,

    /// <summary>Tracing is on (<c>Ingress:Telemetry:Tracing</c>): the relay records no spans, so Kestrel and YARP serve every route.</summary>
    Tracing,

    /// <summary>A TLS client chose HTTP/2 by ALPN: Kestrel serves the connection, through the relay's TLS session.</summary>
    Http2,
}
