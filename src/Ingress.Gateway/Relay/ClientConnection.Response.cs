using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Relay;

/// <summary>The response: reading the replica's head and body and relaying them by their framing (<see cref="ResponseFraming"/>).</summary>
internal sealed unsafe partial class ClientConnection
{
    /// <summary>Reads from the replica: the response head (and maybe body bytes), or more of the body.</summary>
    private bool ReadResponse(UpstreamConnection upstream)
    {
        var limit = upstream.BufferSize - UpstreamConnection.Tailroom;
        if (upstream.End >= limit)
        {
            // A response head that does not fit in the buffer: a larger one once, then it is too large for HttpClient too.
            if (Framing.Stage != ResponseStage.AwaitingHead || !upstream.GrowBuffer())
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
        Attempt.Deadline = Loop.Now + Exchange.Cluster!.ActivityTimeoutMs;
        if (Framing.Stage == ResponseStage.AwaitingHead)
        {
            return ParseResponseHead(upstream);
        }

        RelayBody(upstream, UpstreamConnection.Headroom, upstream.End - UpstreamConnection.Headroom);
        return true;
    }

    private bool ParseResponseHead(UpstreamConnection upstream)
    {
        var data = new Span<byte>(upstream.Buffer + UpstreamConnection.Headroom, upstream.End - UpstreamConnection.Headroom);
        switch (ResponseHeadParser.Parse(data, Exchange.Head.Method, out Framing.Head))
        {
            case ResponseHeadStatus.Incomplete:
                return true;
            case ResponseHeadStatus.Invalid:
                OnUpstreamFailure(UpstreamFailure.InvalidResponse);
                return true;
        }

        var head = Framing.Head;
        var buffer = new Span<byte>(upstream.Buffer, upstream.BufferSize);
        var close = Exchange.CloseAfterResponse || _listener.Draining || (Exchange.BodyToRead > 0 && !head.IsInterim);
        var extra = ResponseFraming.AddedFields(head, close);
        Exchange.CloseAfterResponse |= close;
        var headStart = head.Dropped.Count == 0 && extra.IsEmpty && !head.Http10
            ? UpstreamConnection.Headroom
            : HeadWriter.RewriteResponse(buffer, UpstreamConnection.Headroom, head, extra);
        if (headStart < 0)
        {
            OnUpstreamFailure(UpstreamFailure.InvalidResponse);
            return true;
        }

        var interimSent = Exchange.ResponseStarted;
        Exchange.ResponseStarted = true;
        var bodyStart = UpstreamConnection.Headroom + head.Length;
        var bodyBytes = upstream.End - bodyStart;
        if (head.IsInterim)
        {
            // 100 Continue, 103 Early Hints: forward it and parse the next head from what follows.
            SetOutput(upstream.Buffer + headStart, bodyStart - headStart, fromUpstream: true);
            Exchange.HeldBodyStart = bodyStart;
            Exchange.HeldBodyLength = bodyBytes;
            Framing.Stage = ResponseStage.AwaitingHead;
            return true;
        }

        Exchange.Status = head.StatusCode;
        Framing.BeginBody();
        Attempt.Reusable &= head.KeepAlive;
        if (head.Framing == BodyFraming.UntilClose)
        {
            // The head goes out alone; the body bytes behind it are framed as a chunk once it is written.
            SetOutput(upstream.Buffer + headStart, bodyStart - headStart, fromUpstream: true);
            Exchange.HeldBodyStart = bodyStart;
            Exchange.HeldBodyLength = bodyBytes;
            return true;
        }

        var forwarded = ConsumeBody(upstream, bodyStart, bodyBytes, out var outputStart);
        if (forwarded < 0)
        {
            // Broken chunked framing before anything of this response went out: a 502, as for a broken head, not a
            // connection closed without a word. (After an interim response, the client can only be cut off.)
            Exchange.ResponseStarted = interimSent;
            OnUpstreamFailure(UpstreamFailure.InvalidResponse);
            return true;
        }

        SetOutput(upstream.Buffer + headStart, outputStart + forwarded - headStart, fromUpstream: true);
        return true;
    }

    /// <summary>After an interim head or an until-close head went out: what came behind it in the buffer.</summary>
    private void SendHeldBody()
    {
        var upstream = Attempt.Connection!;
        var start = Exchange.HeldBodyStart;
        var length = Exchange.HeldBodyLength;
        Exchange.HeldBodyLength = 0;
        if (Framing.Stage == ResponseStage.AwaitingHead)
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
        if (Framing.Head.Framing == BodyFraming.UntilClose)
        {
            if (length == 0)
            {
                upstream.End = UpstreamConnection.Headroom;
                return;
            }

            // Re-framed as one chunk: its size line in the headroom right before the data, its CRLF in the tailroom.
            var chunkStart = ResponseFraming.FrameAsChunk(new Span<byte>(upstream.Buffer, upstream.BufferSize), start, length);
            SetOutput(upstream.Buffer + chunkStart, start - chunkStart + length + 2, fromUpstream: true);
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

    /// <summary>Follows the body's framing (<see cref="ResponseFraming.Consume"/>): bytes past its end make the connection unfit for reuse.</summary>
    private int ConsumeBody(UpstreamConnection upstream, int start, int length, out int outputStart)
    {
        var forwarded = Framing.Consume(new Span<byte>(upstream.Buffer, upstream.BufferSize), start, length, out outputStart, out var surplus);
        if (surplus)
        {
            Attempt.Reusable = false;
        }

        return forwarded;
    }
}
