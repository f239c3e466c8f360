namespace Ingress.Gateway.Http1;

/// <summary>
/// Parses and validates an HTTP/1.1 request head for the relay. Strict by design: the relay forwards only what it
/// fully understands and what Kestrel would accept, and hands everything else to Kestrel, so a malformed or
/// ambiguous request (the stuff of request smuggling) never reaches a replica through the relay.
/// </summary>
internal static class RequestHeadParser
{
    /// <summary>Kestrel's default cap on the number of request headers (<c>MaxRequestHeaderCount</c>).</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Longest Host value the relay takes; longer ones are Kestrel's to judge.</summary>
    public const int MaxHostLength = 255;

    /// <summary>
    /// Parses the head at the start of <paramref name="buffer"/>. <paramref name="capacity"/> is how much the buffer can
    /// hold: a head that cannot be completed within it is handed off. Header names with an underscore are dropped unless
    /// <paramref name="allowUnderscores"/> (<see cref="UnderscoreHeaders"/>).
    /// </summary>
    public static RequestHeadStatus Parse(ReadOnlySpan<byte> buffer, int capacity, out RequestHead head, out HandoffReason reason, bool allowUnderscores = false)
    {
        head = default;
        reason = HandoffReason.None;

        var end = buffer.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return Incomplete(buffer, capacity, out reason);
        }

        head.Length = end + 4;
        var lineEnd = buffer.IndexOf("\r\n"u8);
        reason = ParseRequestLine(buffer[..lineEnd], ref head);
        if (reason != HandoffReason.None)
        {
            return RequestHeadStatus.Handoff;
        }

        head.HeadersStart = lineEnd + 2;
        reason = ParseHeaders(buffer, end + 2, ref head, complete: true, allowUnderscores);
        return reason == HandoffReason.None ? RequestHeadStatus.Complete : RequestHeadStatus.Handoff;
    }

    private static RequestHeadStatus Incomplete(ReadOnlySpan<byte> buffer, int capacity, out HandoffReason reason)
    {
        reason = HandoffReason.None;
        if (buffer.Length >= capacity)
        {
            reason = HandoffReason.Size;
            return RequestHeadStatus.Handoff;
        }

        // A line ending without its CR never completes a head the relay accepts; Kestrel decides (at once) what it is.
        var lf = buffer.IndexOf((byte)'\n');
        while (lf >= 0)
        {
            if (lf == 0 || buffer[lf - 1] != '\r')
            {
                reason = HandoffReason.Malformed;
                return RequestHeadStatus.Handoff;
            }

            var next = buffer[(lf + 1)..].IndexOf((byte)'\n');
            lf = next < 0 ? -1 : lf + 1 + next;
        }

        // Complete lines Kestrel would already reject (it parses line by line) are handed off now, not after the head.
        var lineEnd = buffer.IndexOf("\r\n"u8);
        if (lineEnd >= 0)
        {
            RequestHead probe = default;
            reason = ParseRequestLine(buffer[..lineEnd], ref probe);
            var lastLineEnd = buffer.LastIndexOf("\r\n"u8);
            if (reason == HandoffReason.None && lastLineEnd > lineEnd)
            {
                probe.HeadersStart = lineEnd + 2;
                reason = ParseHeaders(buffer, lastLineEnd + 2, ref probe, complete: false, allowUnderscores: true);
            }

            if (reason != HandoffReason.None)
            {
                return RequestHeadStatus.Handoff;
            }
        }

        return RequestHeadStatus.Incomplete;
    }

    private static HandoffReason ParseRequestLine(ReadOnlySpan<byte> line, ref RequestHead head)
    {
        var space = line.IndexOf((byte)' ');
        if (space <= 0 || line[..space].IndexOfAnyExcept(HttpSyntax.TokenChars) >= 0)
        {
            return HandoffReason.Malformed;
        }

        head.MethodLength = space;
        head.Method = RequestMethods.Classify(line[..space]);
        if (head.Method == RequestMethod.Connect)
        {
            return HandoffReason.Upgrade;
        }

        if (head.Method == RequestMethod.Other && RequestMethods.IsCaseVariantOfKnown(line[..space]))
        {
            // "HeAD" is a method of its own to HTTP, but HttpClient (under YARP) takes it for HEAD: Kestrel's to answer.
            return HandoffReason.Malformed;
        }

        var rest = line[(space + 1)..];
        var targetEnd = rest.IndexOf((byte)' ');
        if (targetEnd <= 0)
        {
            return HandoffReason.Malformed;
        }

        var target = rest[..targetEnd];
        var version = rest[(targetEnd + 1)..];
        if (!version.SequenceEqual("HTTP/1.1"u8))
        {
            return version.SequenceEqual("HTTP/1.0"u8) ? HandoffReason.Version : HandoffReason.Malformed;
        }

        head.TargetStart = space + 1;
        head.TargetLength = target.Length;
        return ParseTarget(target, ref head);
    }

    private static HandoffReason ParseTarget(ReadOnlySpan<byte> target, ref RequestHead head)
    {
        if (target[0] != '/')
        {
            // Absolute form (http://host/path) and asterisk form (OPTIONS *): Kestrel's.
            return HandoffReason.Target;
        }

        var question = target.IndexOf((byte)'?');
        var path = question < 0 ? target : target[..question];
        head.PathLength = path.Length;
        if (path.IndexOfAnyExcept(HttpSyntax.PlainPathChars) >= 0)
        {
            // Percent-encoding and anything unusual: ASP.NET Core decodes the path before routing, and YARP re-encodes it.
            return HandoffReason.Target;
        }

        // Empty and dot segments: Kestrel normalises them away before routing, so the relay's raw path would differ.
        if (path.IndexOf("//"u8) >= 0 || path.IndexOf("/."u8) >= 0)
        {
            return HandoffReason.Target;
        }

        if (question >= 0 && target[(question + 1)..].IndexOfAny(HttpSyntax.InvalidQueryChars) >= 0)
        {
            return HandoffReason.Malformed;
        }

        return HandoffReason.None;
    }

    /// <summary>Validates and classifies the header lines up to <paramref name="headersEnd"/>; <paramref name="complete"/> when that is the whole head.</summary>
    private static HandoffReason ParseHeaders(ReadOnlySpan<byte> buffer, int headersEnd, ref RequestHead head, bool complete, bool allowUnderscores)
    {
        var position = head.HeadersStart;
        var count = 0;
        var sawHost = false;
        var sawContentLength = false;
        var connectionNamesFields = false;
        while (position < headersEnd)
        {
            var lineLength = buffer[position..headersEnd].IndexOf("\r\n"u8);
            var line = buffer.Slice(position, lineLength);
            if (++count > MaxHeaderCount)
            {
                return HandoffReason.Size;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].IndexOfAnyExcept(HttpSyntax.TokenChars) >= 0)
            {
                // No name, whitespace before the colon, or obsolete line folding: Kestrel answers 400.
                return HandoffReason.Malformed;
            }

            var rawValue = line[(colon + 1)..];
            if (rawValue.IndexOfAny(HttpSyntax.InvalidValueChars) >= 0)
            {
                return HandoffReason.Malformed;
            }

            var value = HttpSyntax.TrimWhitespace(rawValue);
            var kind = KnownHeaders.Classify(line[..colon]);
            switch (kind)
            {
                case KnownHeader.Host:
                    if (sawHost)
                    {
                        return HandoffReason.Malformed;
                    }

                    sawHost = true;
                    var valueStart = position + colon + 1 + (rawValue.Length - rawValue.TrimStart(" \t"u8).Length);
                    var hostReason = ParseHost(value, valueStart, ref head);
                    if (hostReason != HandoffReason.None)
                    {
                        return hostReason;
                    }

                    break;
                case KnownHeader.ContentLength:
                    // Several Content-Length headers, even equal ones, are Kestrel's to judge.
                    if (sawContentLength)
                    {
                        return HandoffReason.Malformed;
                    }

                    sawContentLength = true;
                    head.ContentLength = HttpSyntax.ParseContentLength(value);
                    if (head.ContentLength < 0 || rawValue[rawValue.TrimEnd(" \t"u8).Length..].Contains((byte)'\t'))
                    {
                        // A tab after the digits is OWS to Kestrel, but llhttp (Node.js) refuses the request: Kestrel's,
                        // whose forwarded request carries a plain length (the llhttp differential test).
                        return HandoffReason.Malformed;
                    }

                    break;
                case KnownHeader.TransferEncoding:
                    return HandoffReason.TransferEncoding;
                case KnownHeader.Upgrade:
                    return HandoffReason.Upgrade;
                case KnownHeader.Expect:
                    return HandoffReason.Expect;
                case KnownHeader.Connection:
                    if (HttpSyntax.ListContains(value, "upgrade"u8))
                    {
                        return HandoffReason.Upgrade;
                    }

                    head.ConnectionClose |= HttpSyntax.ListContains(value, "close"u8);
                    connectionNamesFields |= HopByHopHeaders.NamesOtherFields(value);
                    break;
            }

            // Content-Length is kept (the body is forwarded as is); Host and the rest of the known ones are rewritten or
            // dropped, and so are names with an underscore (one byte search per header, the only cost of the rule).
            var dropped = kind is not (KnownHeader.None or KnownHeader.ContentLength)
                || UnderscoreHeaders.IsDropped(line[..colon], allowUnderscores);
            if (dropped && !head.Dropped.TryAdd(position, lineLength + 2))
            {
                return HandoffReason.Size;
            }

            position += lineLength + 2;
        }

        if (connectionNamesFields && complete && !DropNamedByConnection(buffer, headersEnd, ref head, allowUnderscores))
        {
            return HandoffReason.Size;
        }

        head.NeedsZeroContentLength = !sawContentLength
            && head.Method is not (RequestMethod.Get or RequestMethod.Head or RequestMethod.Options or RequestMethod.Delete or RequestMethod.Connect);
        return sawHost || !complete ? HandoffReason.None : HandoffReason.Malformed;
    }

    /// <summary>
    /// The rare second look, when a <c>Connection</c> header names fields (<see cref="HopByHopHeaders"/>): the lines it names
    /// are dropped too. False when there is no room to drop them (the head is Kestrel's then).
    /// </summary>
    private static bool DropNamedByConnection(ReadOnlySpan<byte> buffer, int headersEnd, ref RequestHead head, bool allowUnderscores)
    {
        var position = head.HeadersStart;
        while (position < headersEnd)
        {
            var lineLength = buffer[position..headersEnd].IndexOf("\r\n"u8);
            var name = buffer.Slice(position, lineLength);
            name = name[..name.IndexOf((byte)':')];

            // Every other kind is dropped already, or kept whatever Connection says (Content-Length).
            if (KnownHeaders.Classify(name) == KnownHeader.None && !UnderscoreHeaders.IsDropped(name, allowUnderscores)
                && HopByHopHeaders.IsNamedByConnection(buffer, head.HeadersStart, headersEnd, name)
                && !head.Dropped.TryInsert(position, lineLength + 2))
            {
                return false;
            }

            position += lineLength + 2;
        }

        return true;
    }

    private static HandoffReason ParseHost(ReadOnlySpan<byte> value, int valueStart, ref RequestHead head)
    {
        if (value.IsEmpty || value.Length > MaxHostLength || value.IndexOfAnyExcept(HttpSyntax.HostChars) >= 0)
        {
            return HandoffReason.Malformed;
        }

        head.HostStart = valueStart;
        head.HostLength = value.Length;
        int nameLength;
        if (value[0] == '[')
        {
            var close = value.IndexOf((byte)']');
            if (close < 2)
            {
                return HandoffReason.Malformed;
            }

            nameLength = close + 1;
        }
        else
        {
            var colon = value.IndexOf((byte)':');
            nameLength = colon < 0 ? value.Length : colon;
            if (nameLength == 0 || value[..nameLength].IndexOfAny((byte)'[', (byte)']') >= 0 || value[nameLength - 1] == '.')
            {
                // A trailing dot is a name routing compares differently; brackets belong to IPv6 literals only.
                return HandoffReason.Malformed;
            }
        }

        var port = value[nameLength..];
        if (!port.IsEmpty && (port[0] != ':' || port.Length == 1 || port.Length > 6 || port[1..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0))
        {
            return HandoffReason.Malformed;
        }

        head.HostNameLength = nameLength;
        return HandoffReason.None;
    }
}
