namespace Ingress.Gateway.Http1;

/// <summary>How a response body is delimited (RFC 9112, section 6.3).</summary>
internal enum BodyFraming : byte
{
    /// <summary>No body: a HEAD request, or a 1xx, 204 or 304 response.</summary>
    None,

    /// <summary>Exactly Content-Length bytes.</summary>
    ContentLength,

    /// <summary>Chunked transfer coding, relayed chunk for chunk.</summary>
    Chunked,

    /// <summary>Until the replica closes the connection; the relay re-frames it as chunked for the client.</summary>
    UntilClose,
}

/// <summary>A parsed response head: offsets into the buffer it was parsed from, and what the relay needs to relay the body.</summary>
internal struct ResponseHead
{
    /// <summary>The length of the head: status line, headers and the empty line.</summary>
    public int Length;

    public int StatusCode;

    public BodyFraming Framing;

    /// <summary>The body length when <see cref="Framing"/> is <see cref="BodyFraming.ContentLength"/>.</summary>
    public long ContentLength;

    /// <summary>The replica keeps the connection open after this response (HTTP/1.1 without <c>Connection: close</c>).</summary>
    public bool KeepAlive;

    /// <summary>The replica answered with HTTP/1.0; its status line is rewritten to 1.1 for the client.</summary>
    public bool Http10;

    /// <summary>Hop-by-hop header lines the client does not get.</summary>
    public LineRanges Dropped;

    /// <summary>An interim (1xx) response: another head follows.</summary>
    public readonly bool IsInterim => StatusCode is >= 100 and < 200;
}

/// <summary>The outcome of parsing what a replica has sent so far.</summary>
internal enum ResponseHeadStatus
{
    Incomplete,
    Complete,

    /// <summary>Not a valid HTTP/1.1 response: the exchange fails with 502, as it would through YARP.</summary>
    Invalid,
}
