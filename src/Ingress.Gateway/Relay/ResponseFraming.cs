using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Relay;

/// <summary>Where the relay is in a replica's response.</summary>
internal enum ResponseStage : byte
{
    AwaitingHead,
    Body,
    Done,
}

/// <summary>
/// The framing of the response being relayed: its head, and how much of its body is still to come, by length, by
/// chunks, or until the replica closes (re-framed as chunks for the client, so its connection stays open).
/// </summary>
internal struct ResponseFraming
{
    public ResponseStage Stage;
    public ResponseHead Head;
    public ChunkedScanner Chunks;

    /// <summary>Body bytes still to come, for a body framed by <c>Content-Length</c>.</summary>
    public long Left;

    /// <summary>Waits for a new response head (a new attempt, or the head behind an interim response).</summary>
    public void Reset()
    {
        Stage = ResponseStage.AwaitingHead;
        Head = default;
        Chunks = default;
        Left = 0;
    }

    /// <summary><see cref="Head"/> is the final response's: its body, if any, comes next.</summary>
    public void BeginBody()
    {
        Stage = ResponseStage.Body;
        Left = Head.ContentLength;
    }

    /// <summary>
    /// The fields the relay adds to a response head it forwards: chunked framing for a body that runs until the replica
    /// closes, and <c>Connection: close</c> when the client's connection closes after it. Interim heads get none.
    /// </summary>
    public static ReadOnlySpan<byte> AddedFields(in ResponseHead head, bool close) =>
        head.IsInterim ? default
        : head.Framing == BodyFraming.UntilClose
            ? (close ? "Transfer-Encoding: chunked\r\nConnection: close\r\n"u8 : "Transfer-Encoding: chunked\r\n"u8)
            : close ? "Connection: close\r\n"u8 : default;

    /// <summary>
    /// Follows the body's framing over the <paramref name="length"/> bytes at <paramref name="start"/> of
    /// <paramref name="buffer"/>: how many bytes go to the client, from <paramref name="outputStart"/> (a chunked body's
    /// forbidden trailer fields are taken out in place), or -1 when the framing broke. <paramref name="surplus"/> says
    /// that bytes came past the end of the response, which makes the connection unfit for reuse.
    /// </summary>
    public int Consume(Span<byte> buffer, int start, int length, out int outputStart, out bool surplus)
    {
        outputStart = start;
        int belonging;
        int forwarded;
        switch (Head.Framing)
        {
            case BodyFraming.None:
                belonging = forwarded = 0;
                Stage = ResponseStage.Done;
                break;
            case BodyFraming.ContentLength:
                belonging = forwarded = (int)Math.Min(length, Left);
                Left -= belonging;
                if (Left == 0)
                {
                    Stage = ResponseStage.Done;
                }

                break;
            default:
                belonging = Chunks.Relay(buffer, start, length, out outputStart, out forwarded);
                if (Chunks.IsInvalid)
                {
                    surplus = false;
                    return -1;
                }

                if (Chunks.IsDone)
                {
                    Stage = ResponseStage.Done;
                }

                break;
        }

        surplus = belonging < length;
        return forwarded;
    }

    /// <summary>
    /// Frames the <paramref name="length"/> bytes at <paramref name="start"/> of <paramref name="buffer"/> as one chunk,
    /// in place: its size line goes right before them (the caller leaves room: 18 bytes at most), its CRLF right after
    /// (2 bytes). Returns where the chunk starts; it is <c>start - returned + length + 2</c> bytes long.
    /// </summary>
    public static int FrameAsChunk(Span<byte> buffer, int start, int length)
    {
        Span<byte> size = stackalloc byte[16];
        length.TryFormat(size, out var digits, "x");
        var chunkStart = start - digits - 2;
        size[..digits].CopyTo(buffer[chunkStart..]);
        buffer[start - 2] = (byte)'\r';
        buffer[start - 1] = (byte)'\n';
        buffer[start + length] = (byte)'\r';
        buffer[start + length + 1] = (byte)'\n';
        return chunkStart;
    }
}
