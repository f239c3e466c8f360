using Ingress.Gateway.Http1;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Relay;

/// <summary>The upstream side: connecting, sending the request, and what a failed attempt means (in YARP's terms, <see cref="UpstreamError"/>).</summary>
internal sealed unsafe partial class ClientConnection
{
    private void Connect(RelayDestination destination)
    {
        var upstream = UpstreamConnection.Connect(Loop, destination, out var errno);
        if (upstream is null)
        {
            OnUpstreamFailure(UpstreamFailure.ConnectFailed, errno);
            return;
        }

        upstream.Reused = false;
        Attach(upstream);
        Attempt.Deadline = Loop.Now + _engine.Settings.ConnectTimeoutMs;
        if (!upstream.Connecting)
        {
            SendRequestHead();
        }
    }

    private void Attach(UpstreamConnection upstream)
    {
        upstream.Owner = this;
        upstream.RentBuffer();
        Attempt.Attach(upstream);
    }

    /// <summary>Writes the rewritten request head into the upstream buffer and queues it with the body bytes that came with it.</summary>
    private void SendRequestHead()
    {
        var upstream = Attempt.Connection!;
        var source = new ReadOnlySpan<byte>(_buffer, _end);
        var target = new Span<byte>(upstream.Buffer, BufferPool.BufferSize);
        var length = HeadWriter.WriteRequest(source, Exchange.Head, Exchange.Destination!.HostLine, _forwardedFor, target);
        if (length < 0)
        {
            // Not expected: StartExchange hands off every head whose rewrite could outgrow the buffer.
            Respond(502, s_badGatewayClose, closeAfter: true);
            return;
        }

        upstream.QueueWrite(upstream.Buffer, length, _buffer + Exchange.Head.Length, (int)Exchange.BodyInBuffer);
        Attempt.Deadline = Loop.Now + Exchange.Cluster!.ActivityTimeoutMs;
        // Checked on the tick, and only if no answer came by then: a request answered in time costs no system call.
        Attempt.SilenceCheckAt = Loop.Now + _engine.Settings.UnacknowledgedTimeoutMs;
    }

    /// <summary>Reads more of the request body from the client and queues it for the replica.</summary>
    private bool ReadRequestBody(UpstreamConnection upstream)
    {
        var read = Receive(_buffer, (int)Math.Min(BufferPool.BufferSize, Exchange.BodyToRead));
        if (read == WouldBlock)
        {
            return false;
        }

        if (read <= 0)
        {
            // The client left in the middle of its body.
            AbortExchange(StatusCodes.Status400BadRequest);
            return false;
        }

        // The buffer is reused from its start: the request can no longer be sent again from it.
        _end = 0;
        Exchange.BodyRead(read, Loop.Now);
        upstream.QueueWrite(null, 0, _buffer, read);
        return true;
    }

    /// <summary>
    /// A failure before any response head arrived: retry, eject, or answer 502/504, as the YARP pipeline would, by the
    /// same rules: the failure is described as YARP's forwarder describes it (<see cref="UpstreamError"/>), and
    /// <see cref="ForwarderFailure"/> and the cluster's passive health policy decide.
    /// </summary>
    private void OnUpstreamFailure(UpstreamFailure failure, int errno = 0)
    {
        var upstream = Attempt.Connection;
        if (errno == 0)
        {
            errno = upstream?.LastErrno ?? 0;
        }

        _engine.LogUpstreamFailure(Exchange.Cluster!.Service, Exchange.Destination?.State.DestinationId, failure.ToString(), errno, upstream?.Reused ?? false, Exchange.Attempts);
        // Stale only if nothing came back: a replica that reset after sending part of an answer has seen the request.
        var stale = upstream is { Reused: true } && upstream.End == UpstreamConnection.Headroom;
        var error = UpstreamError.For(failure, errno, _engine.Settings.UnacknowledgedTimeoutMs);
        var retriable = ForwarderFailure.IsRetriable(error, Exchange.IsBodilessIdempotent, out var kind);
        DetachUpstream(reusable: false, reset: AttemptFailures.IsSilent(kind));
        if (Exchange.ResponseStarted)
        {
            // An interim response already reached the client; the exchange cannot start over.
            AbortExchange();
            return;
        }

        // A pooled connection the replica had closed meanwhile (a keep-alive race): once, on a fresh connection, silently,
        // for what may be sent twice: requests without a body (as HttpClient retries them under YARP) and idempotent ones.
        if (stale && failure == UpstreamFailure.Reset && Exchange.Replayable && !Exchange.StaleRetried
            && (Exchange.Head.ContentLength == 0 || RequestMethods.IsIdempotent(Exchange.Head.Method)))
        {
            Exchange.StaleRetried = true;
            Framing.Reset();
            Connect(Exchange.Destination!);
            return;
        }

        ReportToPassiveHealth(error);
        if (retriable && TryRetry())
        {
            return;
        }

        var timedOut = error.Error == ForwarderError.RequestTimedOut;
        var close = Exchange.CloseAfterResponse || Exchange.BodyToRead > 0;
        Respond(timedOut ? 504 : 502, timedOut ? (close ? s_gatewayTimeoutClose : s_gatewayTimeout) : (close ? s_badGatewayClose : s_badGateway), close);
    }

    /// <summary>
    /// Passive health, through YARP's policy interface: the cluster's policy gets a context carrying the failure, as
    /// YARP's forwarder leaves it on a failed request's context (a context per failure: failures are rare).
    /// </summary>
    private void ReportToPassiveHealth(UpstreamError error)
    {
        if (Exchange.Cluster!.PassiveHealthPolicy is not { } policy)
        {
            return;
        }

        var context = new DefaultHttpContext();
        context.Features.Set<IForwarderErrorFeature>(error);
        policy.RequestProxied(context, Exchange.Cluster.State, Exchange.Destination!.State);
    }

    /// <summary>The replica closed or reset the connection.</summary>
    private void OnUpstreamEnded(UpstreamConnection upstream, bool cleanClose)
    {
        if (Framing.Stage == ResponseStage.AwaitingHead)
        {
            OnUpstreamFailure(upstream.End > UpstreamConnection.Headroom && cleanClose ? UpstreamFailure.InvalidResponse : UpstreamFailure.Reset);
            return;
        }

        if (cleanClose && Framing.Head.Framing == BodyFraming.UntilClose)
        {
            // The end of an until-close body: the last chunk.
            Attempt.Reusable = false;
            upstream.End = UpstreamConnection.Headroom;
            Framing.Stage = ResponseStage.Done;
            fixed (byte* last = s_lastChunk)
            {
                SetOutput(last, s_lastChunk.Length, fromUpstream: false);
            }

            return;
        }

        // Cut off in the middle of a body: the client cannot be told but by closing its connection too.
        ReportToPassiveHealth(UpstreamError.For(UpstreamFailure.ResponseBodyCut, upstream.LastErrno, _engine.Settings.UnacknowledgedTimeoutMs));
        AbortExchange();
    }

    /// <summary>
    /// Asks the kernel about a request with no answer yet (<see cref="SilentReplica"/>): a replica that acknowledged nothing
    /// for the timeout, with request bytes outstanding, is gone, and the attempt fails as a connection failure. True
    /// when it did; otherwise the next look is set for when the connection could first count as silent.
    /// </summary>
    private bool CheckSilence(UpstreamConnection upstream, long nowMs)
    {
        var timeout = _engine.Settings.UnacknowledgedTimeoutMs;
        if (!TcpInfo.TryRead(upstream.Fd, out var info))
        {
            Attempt.SilenceCheckAt = long.MaxValue;
            return false;
        }

        if (SilentReplica.Check(info, timeout, Attempt.SentBeforeRequest) is not { } failure)
        {
            Attempt.SilenceCheckAt = nowMs + SilentReplica.NextCheckDelayMs(info, timeout);
            return false;
        }

        OnUpstreamFailure(failure == AttemptFailure.SilentUnacknowledged ? UpstreamFailure.Unacknowledged : UpstreamFailure.SilentAfterPartOfTheRequest);
        Run();
        return true;
    }

    private void DetachUpstream(bool reusable, bool reset = false)
    {
        if (_exchange?.Attempt.Connection is not { } upstream)
        {
            return;
        }

        Attempt.Connection = null;
        if (Exchange.OutFromUpstream)
        {
            Exchange.Out = null;
            Exchange.OutLength = 0;
            Exchange.OutFromUpstream = false;
        }

        Exchange.HeldBodyLength = 0;
        // Readable means bytes nobody asked for (or the last read filled the buffer exactly: rare): edge-triggered, an
        // idle connection would get no new event for them, and the next request would read them as its answer.
        if (reusable && upstream.IsOpen && !upstream.HasPendingWrite && !upstream.ReadReady)
        {
            _worker.Pool.Return(upstream, Loop.Now);
        }
        else if (reset)
        {
            upstream.CloseWithReset();
        }
        else
        {
            upstream.Close();
        }
    }
}
