using Ingress.Gateway.Http1;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Forwarding.Relay;

/// <summary>When a replica or a client fails: retries, passive health, error answers, deadlines, aborts.</summary>
internal sealed unsafe partial class ClientConnection
{
    /// <summary>The replica closed or reset the connection.</summary>
    private void OnUpstreamEnded(UpstreamConnection upstream, bool cleanClose)
    {
        if (_response == ResponseState.AwaitingHead)
        {
            OnUpstreamFailure(upstream.End > UpstreamConnection.Headroom && cleanClose ? Failure.InvalidResponse : Failure.Reset);
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
        ReportDestinationFault(neverReached: false);
        AbortExchange();
    }

    /// <summary>A failure before any response head arrived: retry, eject, or answer 502/504, as the YARP pipeline would.</summary>
    private void OnUpstreamFailure(Failure failure)
    {
        var upstream = _upstream;
        _engine.LogUpstreamFailure(_cluster!.Service, _destination?.State.DestinationId, failure.ToString(), upstream?.LastErrno ?? 0, upstream?.Reused ?? false, _attempts);
        // Stale only if nothing came back: a replica that reset after sending part of an answer has seen the request.
        var stale = upstream is { Reused: true } && upstream.End == UpstreamConnection.Headroom;
        DetachUpstream(reusable: false);
        if (_responseStarted)
        {
            // An interim response already reached the client; the exchange cannot start over.
            AbortExchange();
            return;
        }

        // A pooled connection the replica had closed meanwhile (a keep-alive race): once, on a fresh connection, silently,
        // for what may be sent twice: requests without a body (as HttpClient retries them under YARP) and idempotent ones.
        if (stale && failure == Failure.Reset && _replayable && !_staleRetried
            && (_head.ContentLength == 0 || RequestMethods.IsIdempotent(_head.Method)))
        {
            _staleRetried = true;
            ResetResponse();
            Connect(_destination!);
            return;
        }

        var neverReached = failure is Failure.ConnectRefused or Failure.ConnectTimeout or Failure.NoLocalPort;
        if (failure is not (Failure.ActivityTimeout or Failure.NoLocalPort))
        {
            ReportDestinationFault(neverReached);
        }

        if (CanRetry(failure, neverReached))
        {
            return;
        }

        var timedOut = failure is Failure.ConnectTimeout or Failure.ActivityTimeout;
        var close = _closeAfterResponse || _bodyToRead > 0;
        Respond(timedOut ? 504 : 502, timedOut ? (close ? s_gatewayTimeoutClose : s_gatewayTimeout) : (close ? s_badGatewayClose : s_badGateway), close);
    }

    /// <summary>Passive health: the replica leaves rotation, by the same rule as <see cref="TransportFailurePolicy"/>.</summary>
    private void ReportDestinationFault(bool neverReached)
    {
        var cluster = _cluster!;
        var destination = _destination!.State;
        if (cluster.PassiveHealth && TransportFailurePolicy.ShouldEject(cluster.State, destination, neverReached))
        {
            _engine.HealthUpdater.SetPassive(cluster.State, destination, DestinationHealth.Unhealthy, cluster.ReactivationPeriod);
        }
    }

    /// <summary>Retries on another replica when the YARP pipeline would (<see cref="ForwarderFailure.IsRetriable"/>); true when it did.</summary>
    private bool CanRetry(Failure failure, bool neverReached)
    {
        var settings = _engine.Settings;
        var safe = neverReached
            || (failure == Failure.Reset && _head.ContentLength == 0 && RequestMethods.IsIdempotentWithoutBody(_head.Method));
        if (!settings.Retries || _attempts >= settings.MaxAttempts || !safe || !_replayable)
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

    /// <summary>Deadlines of an exchange: the connect timeout, the replica's activity timeout, a client that reads nothing or sends its body too slowly.</summary>
    private void CheckExchangeDeadlines(long nowMs)
    {
        if (_upstream is { } upstream && _response != ResponseState.Done && nowMs >= _upstreamDeadline && _outLength == 0)
        {
            if (_responseStarted)
            {
                AbortExchange();
            }
            else
            {
                OnUpstreamFailure(upstream.Connecting ? Failure.ConnectTimeout : Failure.ActivityTimeout);
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
