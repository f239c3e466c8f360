namespace Ingress.Gateway.Http1;

/// <summary>Parses a replica's response head and works out how its body is framed.</summary>
internal static class ResponseHeadParser
{
    /// <summary>Parses the head at the start of <paramref name="buffer"/>, the answer to a request made with <paramref name="method"/>.</summary>
    public static ResponseHeadStatus Parse(ReadOnlySpan<byte> buffer, RequestMethod method, out ResponseHead head)
    {
        head = default;
        var end = buffer.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            // A line ended by a bare LF never completes a head here: 502 now rather than a 504 after the activity timeout.
            return HasBareLineFeed(buffer) ? ResponseHeadStatus.Invalid : ResponseHeadStatus.Incomplete;
        }

        head.Length = end + 4;
        var lineEnd = buffer.IndexOf("\r\n"u8);
        if (!ParseStatusLine(buffer[..lineEnd], ref head))
        {
            return ResponseHeadStatus.Invalid;
        }

        var contentLength = -1L;
        var chunked = false;
        var transferEncoded = false;
        var close = false;
        var keepAlive = false;
        var connectionNamesFields = false;
        var dropsTransferEncoding = BodilessResponses.DropsTransferEncoding(head.StatusCode);
        var dropsContentLength = BodilessResponses.DropsContentLength(head.StatusCode);
        var position = lineEnd + 2;
        var headersEnd = end + 2;
        while (position < headersEnd)
        {
            var lineLength = buffer[position..headersEnd].IndexOf("\r\n"u8);
            var line = buffer.Slice(position, lineLength);
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].IndexOfAnyExcept(HttpSyntax.TokenChars) >= 0 || line[colon..].IndexOfAny(HttpSyntax.InvalidResponseChars) >= 0)
            {
                return ResponseHeadStatus.Invalid;
            }

            var value = HttpSyntax.TrimWhitespace(line[(colon + 1)..]);
            var kind = KnownHeaders.Classify(line[..colon]);
            var drop = false;
            switch (kind)
            {
                case KnownHeader.ContentLength:
                    var length = HttpSyntax.ParseContentLength(value);
                    if (length < 0 || (contentLength >= 0 && length != contentLength))
                    {
                        return ResponseHeadStatus.Invalid;
                    }

                    // A repeated, equal Content-Length is sent once; a 1xx or 204 gets none.
                    drop = contentLength >= 0 || dropsContentLength;
                    contentLength = length;
                    break;
                case KnownHeader.TransferEncoding:
                    if (transferEncoded)
                    {
                        // Split over two lines, the codings would be kept or dropped one line at a time.
                        return ResponseHeadStatus.Invalid;
                    }

                    transferEncoded = true;
                    chunked = HttpSyntax.ListEndsWith(value, "chunked"u8);
                    // Relayed chunked bodies keep the replica's framing line; anything else is re-framed. A 1xx, 204 or
                    // 304 has no body to frame.
                    drop = !chunked || dropsTransferEncoding;
                    break;
                case KnownHeader.Connection:
                    close |= HttpSyntax.ListContains(value, "close"u8);
                    keepAlive |= HttpSyntax.ListContains(value, "keep-alive"u8);
                    connectionNamesFields |= HopByHopHeaders.NamesOtherFields(value);
                    drop = true;
                    break;
                case KnownHeader.Upgrade or KnownHeader.HopByHop:
                    drop = true;
                    break;
            }

            if (drop && !head.Dropped.TryAdd(position, lineLength + 2))
            {
                return ResponseHeadStatus.Invalid;
            }

            position += lineLength + 2;
        }

        if (connectionNamesFields && !DropNamedByConnection(buffer, lineEnd + 2, headersEnd, ref head))
        {
            return ResponseHeadStatus.Invalid;
        }

        head.KeepAlive = head.Http10 ? keepAlive && !close : !close;
        if (head.IsInterim)
        {
            // 101 Switching Protocols is never an answer to what the relay sends (it sends no Upgrade).
            return head.StatusCode == 101 ? ResponseHeadStatus.Invalid : ResponseHeadStatus.Complete;
        }

        if (BodilessResponses.HasNoContent(head.StatusCode, method == RequestMethod.Head))
        {
            head.Framing = BodyFraming.None;
            if (BodilessResponses.ForbidsReuse(head.StatusCode, method == RequestMethod.Head, contentLength, transferEncoded))
            {
                head.KeepAlive = false;
            }
        }
        else if (transferEncoded)
        {
            // Transfer-Encoding wins over Content-Length (RFC 9112 6.3); a coding that does not end in chunked runs to the close.
            head.Framing = chunked ? BodyFraming.Chunked : BodyFraming.UntilClose;
            if (contentLength >= 0)
            {
                // The Content-Length line must not reach the client next to a chunked body.
                return ResponseHeadStatus.Invalid;
            }
        }
        else if (contentLength >= 0)
        {
            head.Framing = BodyFraming.ContentLength;
            head.ContentLength = contentLength;
        }
        else
        {
            head.Framing = BodyFraming.UntilClose;
        }

        if (head.Framing == BodyFraming.UntilClose)
        {
            head.KeepAlive = false;
        }

        return ResponseHeadStatus.Complete;
    }

    /// <summary>The lines a <c>Connection</c> header names are dropped too (<see cref="HopByHopHeaders"/>); false when there is no room.</summary>
    private static bool DropNamedByConnection(ReadOnlySpan<byte> buffer, int headersStart, int headersEnd, ref ResponseHead head)
    {
        var position = headersStart;
        while (position < headersEnd)
        {
            var lineLength = buffer[position..headersEnd].IndexOf("\r\n"u8);
            var name = buffer.Slice(position, lineLength);
            name = name[..name.IndexOf((byte)':')];
            var kind = KnownHeaders.Classify(name);

            // Hop-by-hop lines are dropped already; the framing and routing ones stay whatever Connection says.
            if (!HopByHopHeaders.IsHopByHop(kind) && HopByHopHeaders.IsRemovedWhenNamed(kind)
                && HopByHopHeaders.IsNamedByConnection(buffer, headersStart, headersEnd, name)
                && !head.Dropped.TryInsert(position, lineLength + 2))
            {
                return false;
            }

            position += lineLength + 2;
        }

        return true;
    }

    /// <summary>True when some line of what has arrived ends in a LF without its CR.</summary>
    private static bool HasBareLineFeed(ReadOnlySpan<byte> buffer)
    {
        var lf = buffer.IndexOf((byte)'\n');
        while (lf >= 0)
        {
            if (lf == 0 || buffer[lf - 1] != '\r')
            {
                return true;
            }

            var next = buffer[(lf + 1)..].IndexOf((byte)'\n');
            lf = next < 0 ? -1 : lf + 1 + next;
        }

        return false;
    }

    private static bool ParseStatusLine(ReadOnlySpan<byte> line, ref ResponseHead head)
    {
        // "HTTP/1.1 200 OK", the reason phrase optional (and its space too, in practice).
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != ' ')
        {
            return false;
        }

        if (line[7] == '0')
        {
            head.Http10 = true;
        }
        else if (line[7] != '1')
        {
            return false;
        }

        var code = line.Slice(9, 3);
        if (code.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || code[0] == '0' || (line.Length > 12 && line[12] != ' '))
        {
            return false;
        }

        head.StatusCode = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        return line[12..].IndexOfAny(HttpSyntax.InvalidResponseChars) < 0;
    }
}
