using Ingress.Gateway.Http1;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Transport.Native;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Relay;

/// <summary>When a replica or a client fails: retries, passive health, error answers, deadlines, aborts.</summary>
internal sealed unsafe partial class ClientConnection
{
    /// <summary>The replica closed or reset the connection.</summary>
    private void OnUpstreamEnded(UpstreamConnection upstream, bool cleanClose)
    {
        if (_response == ResponseState.AwaitingHead)
        {
            OnUpstreamFailure(upstream.End > UpstreamConnection.Headroom && cleanClose ? UpstreamFailure.InvalidResponse : UpstreamFailure.Reset);
            return;
        }

        if (cleanClose && _responseHead.Framing == BodyFraming.UntilClose)
        {
            // The end of an until-close body: the last chunk.
            _upstreamReusable = false;
            upstream.End = UpstreamConnection.Headroom;
            _response = ResponseState.Done;
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
    /// A failure before any response head arrived: retry, eject, or answer 502/504, as the YARP pipeline would, by the
    /// same rules: the failure is described as YARP's forwarder describes it (<see cref="UpstreamError"/>), and
    /// <see cref="ForwarderFailure"/> and the cluster's passive health policy decide.
    /// </summary>
    private void OnUpstreamFailure(UpstreamFailure failure, int errno = 0)
    {
        var upstream = _upstream;
        if (errno == 0)
        {
            errno = upstream?.LastErrno ?? 0;
        }

        _engine.LogUpstreamFailure(_cluster!.Service, _destination?.State.DestinationId, failure.ToString(), errno, upstream?.Reused ?? false, _attempts);
        // Stale only if nothing came back: a replica that reset after sending part of an answer has seen the request.
        var stale = upstream is { Reused: true } && upstream.End == UpstreamConnection.Headroom;
        var error = UpstreamError.For(failure, errno, _engine.Settings.UnacknowledgedTimeoutMs);
        var bodilessIdempotent = _head.ContentLength == 0 && RequestMethods.IsIdempotentWithoutBody(_head.Method);
        var retriable = ForwarderFailure.IsRetriable(error, bodilessIdempotent, out var kind);
        DetachUpstream(reusable: false, reset: AttemptFailures.IsSilent(kind));
        if (_responseStarted)
        {
            // An interim response already reached the client; the exchange cannot start over.
            AbortExchange();
            return;
        }

        // A pooled connection the replica had closed meanwhile (a keep-alive race): once, on a fresh connection, silently,
        // for what may be sent twice: requests without a body (as HttpClient retries them under YARP) and idempotent ones.
        if (stale && failure == UpstreamFailure.Reset && _replayable && !_staleRetried
            && (_head.ContentLength == 0 || RequestMethods.IsIdempotent(_head.Method)))
        {
            _staleRetried = true;
            ResetResponse();
            Connect(_destination!);
            return;
        }

        ReportToPassiveHealth(error);
        if (retriable && TryRetry())
        {
            return;
        }

        var timedOut = error.Error == ForwarderError.RequestTimedOut;
        var close = _closeAfterResponse || _bodyToRead > 0;
        Respond(timedOut ? 504 : 502, timedOut ? (close ? s_gatewayTimeoutClose : s_gatewayTimeout) : (close ? s_badGatewayClose : s_badGateway), close);
    }

    /// <summary>
    /// Passive health, through YARP's policy interface: the cluster's policy gets a context carrying the failure, as
    /// YARP's forwarder leaves it on a failed request's context (a context per failure: failures are rare).
    /// </summary>
    private void ReportToPassiveHealth(UpstreamError error)
    {
        if (_cluster!.PassiveHealthPolicy is not { } policy)
        {
            return;
        }

        var context = new DefaultHttpContext();
        context.Features.Set<IForwarderErrorFeature>(error);
        policy.RequestProxied(context, _cluster.State, _destination!.State);
    }

    /// <summary>
    /// Sends the request to another replica, when retries are on, attempts and the retry budget are left, and the
    /// request is still in the buffer to be sent again; true when it did.
    /// </summary>
    private bool TryRetry()
    {
        var settings = _engine.Settings;
        if (!settings.Retries || _attempts >= settings.MaxAttempts || !_replayable)
        {
            return false;
        }

        var cluster = _cluster!;
        _remaining ??= [.. cluster.State.DestinationsState.AvailableDestinations];
        _remaining.Remove(_destination!.State);
        if (_remaining.Count == 0)
        {
            return false;
        }

        if (!_engine.Budgets.For(cluster.State).TryWithdraw())
        {
            _engine.Metrics.RetriesRefused.WithLabels(cluster.Service).Inc();
            _engine.LogRetryBudgetExhausted(cluster.Service);
            return false;
        }

        _engine.Metrics.Retries.WithLabels(cluster.Service).Inc();
        _retries++;
        BeginAttempt();
        return true;
    }

    /// <summary>
    /// Answers with a response the relay made itself; the exchange ends when it is written. A request body not read yet
    /// cannot be told from a next request, so the connection then closes (<paramref name="response"/> should say so).
    /// </summary>
    private void Respond(int status, byte[] response, bool closeAfter = false)
    {
        DetachUpstream(reusable: false);
        _status = status;
        _response = ResponseState.Done;
        _responseStarted = true;
        _closeAfterResponse |= closeAfter || _bodyToRead > 0;
        fixed (byte* bytes = response)
        {
            // Static or per-cluster arrays, all pinned.
            SetOutput(bytes, response.Length, fromUpstream: false);
        }
    }

    /// <summary>
    /// Deadlines of an exchange: the connect timeout, a replica gone silent, the replica's activity timeout, a client that
    /// reads nothing or sends its body too slowly.
    /// </summary>
    private void CheckExchangeDeadlines(long nowMs)
    {
        if (_upstream is { Connecting: false } sent && _response == ResponseState.AwaitingHead && nowMs >= _silenceCheckAt
            && CheckSilence(sent, nowMs))
        {
            return;
        }

        if (_upstream is { } upstream && _response != ResponseState.Done && nowMs >= _upstreamDeadline && _outLength == 0)
        {
            if (_responseStarted)
            {
                AbortExchange();
            }
            else
            {
                OnUpstreamFailure(upstream.Connecting ? UpstreamFailure.ConnectTimeout : UpstreamFailure.ActivityTimeout);
                Run();
            }

            return;
        }

        if (_outLength > 0 && nowMs >= _sendDeadline)
        {
            AbortExchange(StatusCodes.Status400BadRequest);
            return;
        }

        var settings = _engine.Settings;
        var waited = _bodyClockMs + (_bodyWaitStartMs >= 0 ? nowMs - _bodyWaitStartMs : 0);
        if (_bodyToRead > 0 && waited > settings.MinRequestBodyGracePeriodMs
            && _bodyReceived < settings.MinRequestBodyBytesPerSecond * waited / 1000)
        {
            // Kestrel's MinRequestBodyDataRate: a client trickling its body is cut off.
            if (!_responseStarted && _upstream is not null)
            {
                DetachUpstream(reusable: false);
                SendBestEffort(s_requestTimeout);
            }

            AbortExchange(StatusCodes.Status408RequestTimeout);
        }
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
            _silenceCheckAt = long.MaxValue;
            return false;
        }

        if (SilentReplica.Check(info, timeout, _sentBeforeRequest) is not { } failure)
        {
            _silenceCheckAt = nowMs + SilentReplica.NextCheckDelayMs(info, timeout);
            return false;
        }

        OnUpstreamFailure(failure == AttemptFailure.SilentUnacknowledged ? UpstreamFailure.Unacknowledged : UpstreamFailure.SilentAfterPartOfTheRequest);
        Run();
        return true;
    }

    /// <summary>True (and the exchange aborted) when the client hung up while its request was in flight.</summary>
    private bool CheckClientGone()
    {
        if (!PeerClosed)
        {
            return false;
        }

        // A client closing its side is gone for the YARP pipeline too (the request is aborted); it is not the replica's fault.
        AbortExchange(StatusCodes.Status400BadRequest);
        return false;
    }

    /// <summary>
    /// Ends the exchange and both connections at once: nothing sensible can be sent any more. The request is recorded
    /// with the status the client got, or <paramref name="unanswered"/> when it got none (as the YARP pipeline records
    /// it: 400 when the client went away, 502 when the replica failed).
    /// </summary>
    private void AbortExchange(int unanswered = StatusCodes.Status502BadGateway)
    {
        if (_cluster is not null && _status == 0)
        {
            _status = unanswered;
        }

        if (_cluster is not null)
        {
            Record();
        }

        DetachUpstream(reusable: false);
        Close();
    }
}
