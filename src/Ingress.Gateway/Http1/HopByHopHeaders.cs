using System.Collections.Immutable;

namespace Ingress.Gateway.Http1;

/// <summary>
/// The hop-by-hop rule (RFC 9110, 7.6.1) for both data paths: the fields that describe one connection, never forwarded
/// in either direction, and the fields a <c>Connection</c> header names, which are the sender's connection options.
/// </summary>
/// <remarks>
/// One table: the relay classifies header names (as bytes) with <see cref="KnownHeaders"/>, whose table is built from
/// <see cref="Names"/>; the YARP path's transforms (<c>ConformanceTransforms</c>) classify the same names as strings
/// through the same table. YARP's forwarder drops all of <see cref="Names"/> but <c>Trailer</c> by itself.
/// </remarks>
internal static class HopByHopHeaders
{
    /// <summary>
    /// The hop-by-hop fields: those of RFC 9110 and 9112 (<c>Connection</c>, <c>Keep-Alive</c>, <c>Proxy-Connection</c>,
    /// <c>TE</c>, <c>Trailer</c>, <c>Transfer-Encoding</c>, <c>Upgrade</c>), then the proxy and connection fields YARP's
    /// forwarder drops as well (its <c>RequestUtilities</c>), so that both paths drop the same set.
    /// </summary>
    public static readonly ImmutableArray<string> Names =
    [
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
        "Proxy-Authenticate", "Proxy-Authentication-Info", "Proxy-Authorization", "Proxy-Features", "Proxy-Instruction",
        "Security-Scheme", "ALPN", "Close", "HTTP2-Settings", "Upgrade-Insecure-Requests", "Alt-Svc",
    ];

    /// <summary>True for a field never forwarded: one of <see cref="Names"/>.</summary>
    public static bool IsHopByHop(KnownHeader kind) =>
        kind is KnownHeader.Connection or KnownHeader.TransferEncoding or KnownHeader.Upgrade or KnownHeader.HopByHop;

    /// <inheritdoc cref="IsHopByHop(KnownHeader)"/>
    public static bool IsHopByHop(string name) => IsHopByHop(KnownHeaders.Classify(name));

    /// <summary>
    /// True when a field named in a <c>Connection</c> header goes with it. Not the fields the message is framed or routed
    /// by, nor those the gateway sets itself (<c>Content-Length</c>, <c>Host</c>, <c>X-Forwarded-*</c>,
    /// <c>Forwarded</c>): "Connection: Content-Length" must not leave a body without its length.
    /// </summary>
    public static bool IsRemovedWhenNamed(KnownHeader kind) =>
        kind is not (KnownHeader.ContentLength or KnownHeader.Host or KnownHeader.Forwarding);

    /// <summary>
    /// True when a <c>Connection</c> value names a field that is not hop-by-hop already (anything but <c>close</c>,
    /// <c>keep-alive</c>, <c>upgrade</c> and the like): only then do the other lines of the head need a second look.
    /// </summary>
    public static bool NamesOtherFields(ReadOnlySpan<byte> connectionValue)
    {
        var value = connectionValue;
        while (!value.IsEmpty)
        {
            var comma = value.IndexOf((byte)',');
            var item = HttpSyntax.TrimWhitespace(comma < 0 ? value : value[..comma]);
            if (!item.IsEmpty && !IsHopByHop(KnownHeaders.Classify(item)))
            {
                return true;
            }

            if (comma < 0)
            {
                break;
            }

            value = value[(comma + 1)..];
        }

        return false;
    }

    /// <summary>
    /// True when a <c>Connection</c> header among the lines of <paramref name="head"/> from <paramref name="headersStart"/>
    /// to <paramref name="headersEnd"/> (CRLF-terminated lines) names the field <paramref name="name"/>.
    /// </summary>
    public static bool IsNamedByConnection(ReadOnlySpan<byte> head, int headersStart, int headersEnd, ReadOnlySpan<byte> name)
    {
        var position = headersStart;
        while (position < headersEnd)
        {
            var lineLength = head[position..headersEnd].IndexOf("\r\n"u8);
            if (lineLength < 0)
            {
                return false;
            }

            var line = head.Slice(position, lineLength);
            var colon = line.IndexOf((byte)':');
            if (colon > 0 && KnownHeaders.Classify(line[..colon]) == KnownHeader.Connection
                && HttpSyntax.ListContains(line[(colon + 1)..], name))
            {
                return true;
            }

            position += lineLength + 2;
        }

        return false;
    }

    /// <summary>
    /// True for a field a trailer section must not carry on to the client: the hop-by-hop ones and <c>Content-Length</c>
    /// (framing; RFC 9110, 6.5.1). The relay takes them out of the trailers it relays; the YARP path filters the trailers
    /// it copies by the same rule.
    /// </summary>
    public static bool IsForbiddenInTrailers(KnownHeader kind) => IsHopByHop(kind) || kind == KnownHeader.ContentLength;

    /// <inheritdoc cref="IsForbiddenInTrailers(KnownHeader)"/>
    public static bool IsForbiddenInTrailers(string name) => IsForbiddenInTrailers(KnownHeaders.Classify(name));
}
