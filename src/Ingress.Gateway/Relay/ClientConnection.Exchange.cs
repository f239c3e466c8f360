using System.Diagnostics;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Relay;

/// <summary>The exchange: one request from its route to its end: picking a replica, retries, the relay's own answers, deadlines, the record of it.</summary>
internal sealed unsafe partial class ClientConnection
{
    private void StartExchange()
    {
        var settings = _engine.Settings;
        if (_exchange.Head.Length > settings.MaxRequestHeadLength || _exchange.Head.HeadersStart > settings.MaxRequestLineSize)
        {
            // Kestrel counts a little less (no request line), so it may still take it; it decides, with 431 or 414.
            HandOff(HandoffReason.Size);
            return;
        }

        var bytes = new ReadOnlySpan<byte>(_buffer, _end);
        var routes = _engine.Routes.ForPort(_listener.Port);
        var reason = HandoffReason.Route;
        var route = routes?.Match(_exchange.Head.HostName(bytes), _exchange.Head.Path(bytes), out reason);
        if (route is null)
        {
            HandOff(reason);
            return;
        }

        if (route.Cluster is not { } cluster)
        {
            HandOff(HandoffReason.Cluster);
            return;
        }

        if (_exchange.Head.ContentLength > settings.MaxRequestBodySize)
        {
            HandOff(HandoffReason.BodySize);
            return;
        }

        if (HeadWriter.RequestLength(bytes, _exchange.Head, cluster.MaxHostLineLength, _forwardedFor.Length) > BufferPool.BufferSize)
        {
            // A head near the buffer's size that its rewrite (Host, X-Forwarded-*) could outgrow, for any replica: Kestrel's,
            // now, before a replica is picked. Found only after a failed attempt, it could not be handed off any more.
            HandOff(HandoffReason.Size);
            return;
        }

        _phase = Phase.Exchange;
        _exchange.Start(route, cluster, _end, _exchange.Head.ConnectionClose || _listener.Draining, Stopwatch.GetTimestamp());
        _attempt.RequestHeadSent = false;
        if (_engine.Recorder.AccessLogEnabled)
        {
            // Taken now: a streamed body overwrites the head in the buffer.
            _exchange.LogMethod = RequestMethods.Name(_exchange.Head.Method) ?? System.Text.Encoding.ASCII.GetString(_exchange.Head.MethodToken(bytes));
            _exchange.LogPath = System.Text.Encoding.ASCII.GetString(_exchange.Head.Path(bytes));
        }

        BeginAttempt();
    }

    /// <summary>Picks a replica and starts sending the request to it.</summary>
    private void BeginAttempt()
    {
        var cluster = _exchange.Cluster!;
        var available = _exchange.Remaining ?? cluster.State.DestinationsState.AvailableDestinations;
        if (available.Count == 0)
        {
            _engine.Metrics.NoHealthyReplica.WithLabels(cluster.Service).Inc();
            var close = _exchange.CloseAfterResponse || _exchange.BodyToRead > 0;
            Respond(503, close ? cluster.NoReplicaResponseClose : cluster.NoReplicaResponse, close);
            return;
        }

        var picked = cluster.Pick(available);
        if (picked is null || !cluster.Destinations.TryGetValue(picked, out var destination))
        {
            // A destination the relay's snapshot does not know yet (a configuration is being applied): let YARP serve it.
            if (_exchange.Attempts == 0 && _exchange.Replayable && !_attempt.RequestHeadSent)
            {
                HandOff(HandoffReason.Cluster);
            }
            else
            {
                var close = _exchange.CloseAfterResponse || _exchange.BodyToRead > 0;
                Respond(502, close ? s_badGatewayClose : s_badGateway, close);
            }

            return;
        }

        if (_exchange.Attempts == 0 && _engine.Settings.Retries && _engine.Settings.MaxAttempts > 1)
        {
            // Where the YARP pipeline's RetryMiddleware deposits: once per request that goes to a replica (not a 503,
            // not a request handed to YARP, which deposits for it).
            _engine.Budgets.For(cluster.State).Deposit();
        }

        _exchange.Attempts++;
        _exchange.Destination = destination;
        _framing.Reset();
        var pooled = _worker.Pool.TryTake(destination.Key);
        if (pooled is not null)
        {
            Attach(pooled);
            SendRequestHead();
            return;
        }

        Connect(destination);
    }

    private bool StepExchange()
    {
        var upstream = _attempt.Connection;
        if (upstream is null)
        {
            // Sending a response the relay made itself (503, 502, 504).
            return FlushClient() || TryFinish();
        }

        var progress = false;
        if (upstream.Connecting)
        {
            if (!upstream.WriteReady)
            {
                return CheckClientGone();
            }

            if (upstream.CompleteConnect() is var error and not 0)
            {
                OnUpstreamFailure(UpstreamFailure.ConnectFailed, error);
                return true;
            }

            SendRequestHead();
            if (Changed(upstream))
            {
                return true;
            }

            progress = true;
        }

        // Request: the head and the body bytes that came with it, then the rest of the body as the client sends it.
        if (upstream.HasPendingWrite && upstream.WriteReady)
        {
            var written = upstream.Flush();
            if (written == Failed)
            {
                OnUpstreamFailure(UpstreamFailure.Reset);
                return true;
            }

            if (written > 0)
            {
                _attempt.Deadline = Loop.Now + _exchange.Cluster!.ActivityTimeoutMs;
                progress = true;
            }
        }

        if (!upstream.HasPendingWrite)
        {
            _attempt.RequestHeadSent = true;
            _exchange.StartBodyWait(Loop.Now);

            if (_exchange.BodyToRead > 0 && ReadReady && _framing.Stage != ResponseStage.Done)
            {
                progress |= ReadRequestBody(upstream);
                if (Changed(upstream))
                {
                    return true;
                }
            }
        }

        // Response: what is held for the client is written out before the replica is read again.
        if (_outLength > 0)
        {
            progress |= FlushClient();
            if (Changed(upstream))
            {
                return true;
            }
        }

        if (_outLength == 0 && _heldBodyLength > 0)
        {
            SendHeldBody();
            return true;
        }

        if (_outLength == 0 && _framing.Stage != ResponseStage.Done && _attempt.RequestHeadSent && upstream.ReadReady)
        {
            progress |= ReadResponse(upstream);
            if (Changed(upstream))
            {
                return true;
            }
        }

        return TryFinish() || progress || CheckClientGone();
    }

    /// <summary>True when a step ended the exchange, or moved it to another replica: the caller starts over.</summary>
    private bool Changed(UpstreamConnection upstream) => _phase != Phase.Exchange || !ReferenceEquals(_attempt.Connection, upstream);

    /// <summary>
    /// Sends the request to another replica, when retries are on, attempts and the retry budget are left, and the
    /// request is still in the buffer to be sent again; true when it did.
    /// </summary>
    private bool TryRetry()
    {
        var settings = _engine.Settings;
        if (!settings.Retries || _exchange.Attempts >= settings.MaxAttempts || !_exchange.Replayable)
        {
            return false;
        }

        var cluster = _exchange.Cluster!;
        _exchange.Remaining ??= [.. cluster.State.DestinationsState.AvailableDestinations];
        _exchange.Remaining.Remove(_exchange.Destination!.State);
        if (_exchange.Remaining.Count == 0)
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
        _exchange.Retries++;
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
        _exchange.Status = status;
        _framing.Stage = ResponseStage.Done;
        _exchange.ResponseStarted = true;
        _exchange.CloseAfterResponse |= closeAfter || _exchange.BodyToRead > 0;
        fixed (byte* bytes = response)
        {
            // Static or per-cluster arrays, all pinned.
            SetOutput(bytes, response.Length, fromUpstream: false);
        }
    }

    /// <summary>Ends the exchange once the response is written and the request fully sent.</summary>
    private bool TryFinish()
    {
        if (_framing.Stage != ResponseStage.Done || _outLength > 0 || _heldBodyLength > 0)
        {
            return false;
        }

        if (_attempt.Connection is { } upstream && (upstream.HasPendingWrite || _exchange.BodyToRead > 0))
        {
            // The replica answered before taking the whole body: its connection cannot be reused, and the rest of the
            // body on the client's connection cannot be told from a next request.
            _attempt.Reusable = false;
            _exchange.CloseAfterResponse = true;
        }

        Record();
        DetachUpstream(_attempt.Reusable && !(_attempt.Connection?.PeerClosed ?? true));
        if (_exchange.CloseAfterResponse || _listener.Draining)
        {
            Linger();
            return true;
        }

        // Keep-alive: what the client sent after this request is the next request.
        var consumed = _exchange.Consumed(_end);
        var left = _end - consumed;
        if (left > 0)
        {
            Buffer.MemoryCopy(_buffer + consumed, _buffer, left, left);
        }

        _end = left;
        _phase = Phase.Head;
        _exchange.Clear();
        _deadline = Loop.Now + (left > 0 ? _engine.Settings.RequestHeadersTimeoutMs : _engine.Settings.KeepAliveTimeoutMs);
        return true;
    }

    private void Record()
    {
        var elapsed = Stopwatch.GetTimestamp() - _exchange.Started;
        var cluster = _exchange.Cluster!;
        var destination = _exchange.Destination?.State;
        _engine.Recorder.Record(cluster.State.Model, _listener.Port, EntrySeries.MethodIndex(_exchange.Head.Method), _exchange.Status, destination, elapsed);
        if (_engine.Recorder.AccessLogEnabled)
        {
            _engine.Recorder.WriteAccessLog(AccessLogEntry.For(
                _listener.Port, _exchange.Route!.RouteId, cluster.State.Model, destination, _exchange.LogMethod ?? "", _exchange.LogPath ?? "", _exchange.Status, elapsed, _exchange.Retries, ClientAddress));
        }
    }

    /// <summary>
    /// Deadlines of an exchange: the connect timeout, a replica gone silent, the replica's activity timeout, a client that
    /// reads nothing or sends its body too slowly.
    /// </summary>
    private void CheckExchangeDeadlines(long nowMs)
    {
        if (_attempt.Connection is { Connecting: false } sent && _framing.Stage == ResponseStage.AwaitingHead && nowMs >= _attempt.SilenceCheckAt
            && CheckSilence(sent, nowMs))
        {
            return;
        }

        if (_attempt.Connection is { } upstream && _framing.Stage != ResponseStage.Done && nowMs >= _attempt.Deadline && _outLength == 0)
        {
            if (_exchange.ResponseStarted)
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

        if (_exchange.IsBodyTooSlow(nowMs, _engine.Settings))
        {
            // Kestrel's MinRequestBodyDataRate: a client trickling its body is cut off.
            if (!_exchange.ResponseStarted && _attempt.Connection is not null)
            {
                DetachUpstream(reusable: false);
                SendBestEffort(s_requestTimeout);
            }

            AbortExchange(StatusCodes.Status408RequestTimeout);
        }
    }

    /// <summary>
    /// Ends the exchange and both connections at once: nothing sensible can be sent any more. The request is recorded
    /// with the status the client got, or <paramref name="unanswered"/> when it got none (as the YARP pipeline records
    /// it: 400 when the client went away, 502 when the replica failed).
    /// </summary>
    private void AbortExchange(int unanswered = StatusCodes.Status502BadGateway)
    {
        if (_exchange.Cluster is not null && _exchange.Status == 0)
        {
            _exchange.Status = unanswered;
        }

        if (_exchange.Cluster is not null)
        {
            Record();
        }

        DetachUpstream(reusable: false);
        Close();
    }
}
