namespace Ingress.Gateway.Http1;

/// <summary>Writes the heads the relay sends: the request to a replica, and the response to a client.</summary>
internal static class HeadWriter
{
    /// <summary>
    /// Writes the request a replica gets, the way the YARP pipeline would send it: the client's request line and
    /// headers, less the dropped lines, then <c>Host</c> set to the replica's address and fresh <c>X-Forwarded-For</c>,
    /// <c>-Proto</c> and <c>-Host</c> (a client's own are replaced, never trusted), and <c>Content-Length: 0</c> where
    /// HttpClient would add it (<see cref="RequestHead.NeedsZeroContentLength"/>).
    /// </summary>
    /// <param name="source">The client's bytes, holding the parsed head.</param>
    /// <param name="head">The parsed head.</param>
    /// <param name="hostLine">The replica's <c>Host: address:port\r\n</c> line.</param>
    /// <param name="forwardedFor">The client's <c>X-Forwarded-For: ip\r\nX-Forwarded-Proto: http\r\n</c> lines.</param>
    /// <param name="target">Where to write.</param>
    /// <returns>The bytes written, or -1 when <paramref name="target"/> is too small.</returns>
    public static int WriteRequest(ReadOnlySpan<byte> source, in RequestHead head, ReadOnlySpan<byte> hostLine, ReadOnlySpan<byte> forwardedFor, Span<byte> target)
    {
        if (RequestLength(source, head, hostLine.Length, forwardedFor.Length) > target.Length)
        {
            return -1;
        }

        var host = head.Host(source);
        var zeroLength = head.NeedsZeroContentLength ? "Content-Length: 0\r\n"u8 : default;

        // Request line and kept header lines, in order, in runs between the dropped lines.
        var written = 0;
        var position = 0;
        var headersEnd = head.Length - 2;
        for (var i = 0; i < head.Dropped.Count; i++)
        {
            var run = source[position..head.Dropped.Start(i)];
            run.CopyTo(target[written..]);
            written += run.Length;
            position = head.Dropped.Start(i) + head.Dropped.Length(i);
        }

        var rest = source[position..headersEnd];
        rest.CopyTo(target[written..]);
        written += rest.Length;

        zeroLength.CopyTo(target[written..]);
        written += zeroLength.Length;
        hostLine.CopyTo(target[written..]);
        written += hostLine.Length;
        forwardedFor.CopyTo(target[written..]);
        written += forwardedFor.Length;
        "X-Forwarded-Host: "u8.CopyTo(target[written..]);
        written += "X-Forwarded-Host: "u8.Length;
        host.CopyTo(target[written..]);
        written += host.Length;
        "\r\n\r\n"u8.CopyTo(target[written..]);
        return written + 4;
    }

    /// <summary>The length of the head <see cref="WriteRequest"/> writes with a host line and forwarded lines of these lengths.</summary>
    public static int RequestLength(ReadOnlySpan<byte> source, in RequestHead head, int hostLineLength, int forwardedForLength) =>
        head.Length - DroppedLength(head.Dropped) + hostLineLength + forwardedForLength + "X-Forwarded-Host: \r\n".Length + head.Host(source).Length
        + (head.NeedsZeroContentLength ? "Content-Length: 0\r\n".Length : 0);

    /// <summary>
    /// Rewrites a response head where it lies, for the client: drops hop-by-hop lines, makes an HTTP/1.0 status line
    /// 1.1, and appends <paramref name="extraLines"/> (each ending in CRLF). The head keeps its end, so a body that
    /// follows it in the buffer stays where it is; it may start earlier, into the headroom before it.
    /// </summary>
    /// <param name="buffer">The buffer holding the head at <paramref name="start"/>.</param>
    /// <param name="start">Where the head starts; at least the growth (extra lines less dropped lines) of headroom must precede it.</param>
    /// <param name="head">The parsed head, whose offsets are relative to <paramref name="start"/>.</param>
    /// <param name="extraLines">Lines to add, e.g. <c>Connection: close\r\n</c>.</param>
    /// <returns>Where the rewritten head now starts, or -1 without enough headroom.</returns>
    public static int RewriteResponse(Span<byte> buffer, int start, in ResponseHead head, ReadOnlySpan<byte> extraLines)
    {
        var growth = extraLines.Length - DroppedLength(head.Dropped);
        if (start - growth < 0)
        {
            return -1;
        }

        // Walk the kept runs from the last to the first, moving each right to close the gaps, so the bytes just before
        // the final CRLF are where the extra lines go. Then shift everything left by the extra lines' length.
        var headEnd = start + head.Length - 2;
        var write = headEnd;
        var runEnd = headEnd;
        for (var i = head.Dropped.Count - 1; i >= -1; i--)
        {
            var runStart = i >= 0 ? start + head.Dropped.Start(i) + head.Dropped.Length(i) : start;
            var length = runEnd - runStart;
            write -= length;
            buffer.Slice(runStart, length).CopyTo(buffer[write..]);
            runEnd = i >= 0 ? start + head.Dropped.Start(i) : start;
        }

        var newStart = write - extraLines.Length;
        buffer[write..(headEnd)].CopyTo(buffer[newStart..]);
        extraLines.CopyTo(buffer[(headEnd - extraLines.Length)..]);
        if (head.Http10)
        {
            buffer[newStart + 7] = (byte)'1';
        }

        return newStart;
    }

    private static int DroppedLength(in LineRanges dropped)
    {
        var total = 0;
        for (var i = 0; i < dropped.Count; i++)
        {
            total += dropped.Length(i);
        }

        return total;
    }
}
