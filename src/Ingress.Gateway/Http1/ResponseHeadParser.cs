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
            return ResponseHeadStatus.Incomplete;
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

                    drop = contentLength >= 0; // a repeated, equal Content-Length is sent once
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
                    // Relayed chunked bodies keep the replica's framing line; anything else is re-framed.
                    drop = !chunked;
                    break;
                case KnownHeader.Connection:
                    close |= HttpSyntax.ListContains(value, "close"u8);
                    keepAlive |= HttpSyntax.ListContains(value, "keep-alive"u8);
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

        head.KeepAlive = head.Http10 ? keepAlive && !close : !close;
        if (head.IsInterim)
        {
            // 101 Switching Protocols is never an answer to what the relay sends (it sends no Upgrade).
            return head.StatusCode == 101 ? ResponseHeadStatus.Invalid : ResponseHeadStatus.Complete;
        }

        if (method == RequestMethod.Head || head.StatusCode is 204 or 304)
        {
            head.Framing = BodyFraming.None;
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
