using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Relay;

/// <summary>The response: parsing the replica's head, following the body's framing, writing it to the client.</summary>
internal sealed unsafe partial class ClientConnection
{
    private void ResetResponse()
    {
        _response = ResponseState.AwaitingHead;
        _responseHead = default;
        _chunks = default;
        _responseLeft = 0;
        _heldBodyLength = 0;
    }

    /// <summary>Reads from the replica: the response head (and maybe body bytes), or more of the body.</summary>
    private bool ReadResponse(UpstreamConnection upstream)
    {
        var limit = upstream.BufferSize - UpstreamConnection.Tailroom;
        if (upstream.End >= limit)
        {
            // A response head that does not fit in the buffer: a larger one once, then it is too large for HttpClient too.
            if (_response != ResponseState.AwaitingHead || !upstream.GrowBuffer())
            {
                OnUpstreamFailure(UpstreamFailure.InvalidResponse);
                return true;
            }

            limit = upstream.BufferSize - UpstreamConnection.Tailroom;
        }

        var read = upstream.Receive(upstream.Buffer + upstream.End, limit - upstream.End);
        if (read == WouldBlock)
        {
            return false;
        }

        if (read == Failed || read == 0)
        {
            OnUpstreamEnded(upstream, read == 0);
            return true;
        }

        upstream.End += read;
        _upstreamDeadline = Loop.Now + _cluster!.ActivityTimeoutMs;
        if (_response == ResponseState.AwaitingHead)
        {
            return ParseResponseHead(upstream);
        }

        RelayBody(upstream, UpstreamConnection.Headroom, upstream.End - UpstreamConnection.Headroom);
        return true;
    }

    private bool ParseResponseHead(UpstreamConnection upstream)
    {
        var data = new Span<byte>(upstream.Buffer + UpstreamConnection.Headroom, upstream.End - UpstreamConnection.Headroom);
        switch (ResponseHeadParser.Parse(data, _head.Method, out _responseHead))
        {
            case ResponseHeadStatus.Incomplete:
                return true;
            case ResponseHeadStatus.Invalid:
                OnUpstreamFailure(UpstreamFailure.InvalidResponse);
                return true;
        }

        var head = _responseHead;
        var buffer = new Span<byte>(upstream.Buffer, upstream.BufferSize);
        var close = _closeAfterResponse || _listener.Draining || (_bodyToRead > 0 && !head.IsInterim);
        ReadOnlySpan<byte> extra = head.IsInterim ? default
            : head.Framing == BodyFraming.UntilClose
                ? (close ? "Transfer-Encoding: chunked\r\nConnection: close\r\n"u8 : "Transfer-Encoding: chunked\r\n"u8)
                : close ? "Connection: close\r\n"u8 : default;
        _closeAfterResponse |= close;
        var headStart = head.Dropped.Count == 0 && extra.IsEmpty && !head.Http10
            ? UpstreamConnection.Headroom
            : HeadWriter.RewriteResponse(buffer, UpstreamConnection.Headroom, head, extra);
        if (headStart < 0)
        {
            OnUpstreamFailure(UpstreamFailure.InvalidResponse);
            return true;
        }

        var interimSent = _responseStarted;
        _responseStarted = true;
        var bodyStart = UpstreamConnection.Headroom + head.Length;
        var bodyBytes = upstream.End - bodyStart;
        if (head.IsInterim)
        {
            // 100 Continue, 103 Early Hints: forward it and parse the next head from what follows.
            SetOutput(upstream.Buffer + headStart, bodyStart - headStart, fromUpstream: true);
            _heldBodyStart = bodyStart;
            _heldBodyLength = bodyBytes;
            _response = ResponseState.AwaitingHead;
            return true;
        }

        _status = head.StatusCode;
        _response = ResponseState.Body;
        _responseLeft = head.ContentLength;
        _upstreamReusable &= head.KeepAlive;
        if (head.Framing == BodyFraming.UntilClose)
        {
            // The head goes out alone; the body bytes behind it are framed as a chunk once it is written.
            SetOutput(upstream.Buffer + headStart, bodyStart - headStart, fromUpstream: true);
            _heldBodyStart = bodyStart;
            _heldBodyLength = bodyBytes;
            return true;
        }

        var forwarded = ConsumeBody(upstream, bodyStart, bodyBytes, out var outputStart);
        if (forwarded < 0)
        {
            // Broken chunked framing before anything of this response went out: a 502, as for a broken head, not a
            // connection closed without a word. (After an interim response, the client can only be cut off.)
            _responseStarted = interimSent;
            OnUpstreamFailure(UpstreamFailure.InvalidResponse);
            return true;
        }

        SetOutput(upstream.Buffer + headStart, outputStart + forwarded - headStart, fromUpstream: true);
        return true;
    }

    /// <summary>After an interim head or an until-close head went out: what came behind it in the buffer.</summary>
    private void SendHeldBody()
    {
        var upstream = _upstream!;
        var start = _heldBodyStart;
        var length = _heldBodyLength;
        _heldBodyLength = 0;
        if (_response == ResponseState.AwaitingHead)
        {
            // Behind an interim head: the next head. Move it to the start of the data area and parse on.
            Buffer.MemoryCopy(upstream.Buffer + start, upstream.Buffer + UpstreamConnection.Headroom, length, length);
            upstream.End = UpstreamConnection.Headroom + length;
            if (length > 0)
            {
                ParseResponseHead(upstream);
            }

            return;
        }

        upstream.End = start + length;
        RelayBody(upstream, start, length);
    }

    /// <summary>Relays <paramref name="length"/> body bytes at <paramref name="start"/> in the upstream buffer.</summary>
    private void RelayBody(UpstreamConnection upstream, int start, int length)
    {
        if (_responseHead.Framing == BodyFraming.UntilClose)
        {
            if (length == 0)
            {
                upstream.End = UpstreamConnection.Headroom;
                return;
            }

            // Re-framed as one chunk: its size line in the headroom right before the data, its CRLF in the tailroom.
            Span<byte> size = stackalloc byte[16];
            length.TryFormat(size, out var digits, "x");
            var prefix = digits + 2;
            var prefixStart = start - prefix;
            size[..digits].CopyTo(new Span<byte>(upstream.Buffer + prefixStart, digits));
            upstream.Buffer[start - 2] = (byte)'\r';
            upstream.Buffer[start - 1] = (byte)'\n';
            upstream.Buffer[start + length] = (byte)'\r';
            upstream.Buffer[start + length + 1] = (byte)'\n';
            SetOutput(upstream.Buffer + prefixStart, prefix + length + 2, fromUpstream: true);
            return;
        }

        var forwarded = ConsumeBody(upstream, start, length, out var outputStart);
        if (forwarded < 0)
        {
            // The head went out already: the client can only be told by closing its connection.
            AbortExchange();
            return;
        }

        SetOutput(upstream.Buffer + outputStart, forwarded, fromUpstream: true);
    }

    /// <summary>
    /// Follows the body framing over the <paramref name="length"/> bytes at <paramref name="start"/> in the upstream
    /// buffer: how many bytes go to the client, from <paramref name="outputStart"/> (a chunked body's forbidden trailer
    /// fields are taken out in place), or -1 when the framing broke. Bytes past the end make the connection unfit for reuse.
    /// </summary>
    private int ConsumeBody(UpstreamConnection upstream, int start, int length, out int outputStart)
    {
        outputStart = start;
        int belonging;
        int forwarded;
        switch (_responseHead.Framing)
        {
            case BodyFraming.None:
                belonging = forwarded = 0;
                _response = ResponseState.Done;
                break;
            case BodyFraming.ContentLength:
                belonging = forwarded = (int)Math.Min(length, _responseLeft);
                _responseLeft -= belonging;
                if (_responseLeft == 0)
                {
                    _response = ResponseState.Done;
                }

                break;
            default:
                belonging = _chunks.Relay(new Span<byte>(upstream.Buffer, upstream.BufferSize), start, length, out outputStart, out forwarded);
                if (_chunks.IsInvalid)
                {
                    return -1;
                }

                if (_chunks.IsDone)
                {
                    _response = ResponseState.Done;
                }

                break;
        }

        if (belonging < length)
        {
            _upstreamReusable = false;
        }

        return forwarded;
    }

    private void SetOutput(byte* bytes, int length, bool fromUpstream)
    {
        _out = bytes;
        _outLength = length;
        _outFromUpstream = fromUpstream;
        _sendDeadline = Loop.Now + RelaySettings.SendTimeoutMs;
        if (length == 0)
        {
            ReleaseOutput();
        }
    }

    /// <summary>Writes what is held for the client; true when something was written.</summary>
    private bool FlushClient()
    {
        if (_outLength == 0 || !WriteReady)
        {
            return false;
        }

        var written = Send(_out, _outLength, null, 0);
        if (written == Failed)
        {
            AbortExchange(StatusCodes.Status400BadRequest);
            return false;
        }

        if (written <= 0)
        {
            return false;
        }

        _out += written;
        _outLength -= written;
        _sendDeadline = Loop.Now + RelaySettings.SendTimeoutMs;
        _upstreamDeadline = Loop.Now + (_cluster?.ActivityTimeoutMs ?? 0);
        if (_outLength == 0)
        {
            ReleaseOutput();
        }

        return true;
    }

    private void ReleaseOutput()
    {
        if (_outFromUpstream && _upstream is { } upstream && _heldBodyLength == 0)
        {
            // The upstream buffer is free again for the next read.
            upstream.End = UpstreamConnection.Headroom;
        }

        _out = null;
        _outFromUpstream = false;
    }
}
