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
        if (Exchange.Head.Length > settings.MaxRequestHeadLength || Exchange.Head.HeadersStart > settings.MaxRequestLineSize)
        {
            // Kestrel counts a little less (no request line), so it may still take it; it decides, with 431 or 414.
            HandOff(HandoffReason.Size);
            return;
        }

        var bytes = new ReadOnlySpan<byte>(_buffer, _end);
        var routes = _engine.Routes.ForPort(_listener.RoutesPort);
        var reason = HandoffReason.Route;
        var route = routes?.Match(Exchange.Head.HostName(bytes), Exchange.Head.Path(bytes), out reason);
        if (route is null)
        {
            HandOff(reason);
            return;
        }

        if (route.Cluster is not { } cluster)
        {
            HandOff(route.Handoff);
            return;
        }

        if (Tls is not null && route.TlsHandoff != HandoffReason.None)
        {
            HandOff(route.TlsHandoff);
            return;
        }

        if (Exchange.Head.ContentLength > settings.MaxRequestBodySize)
        {
            HandOff(HandoffReason.BodySize);
            return;
        }

        if (HeadWriter.RequestLength(bytes, Exchange.Head, cluster.MaxHostLineLength, _forwardedFor.Length) > BufferPool.BufferSize)
        {
            // A head near the buffer's size that its rewrite (Host, X-Forwarded-*) could outgrow, for any replica: Kestrel's,
            // now, before a replica is picked. Found only after a failed attempt, it could not be handed off any more.
            HandOff(HandoffReason.Size);
            return;
        }

        _phase = Phase.Exchange;
        Exchange.Start(route, cluster, _end, Exchange.Head.ConnectionClose || _listener.Draining, Stopwatch.GetTimestamp());
        Attempt.RequestHeadSent = false;
        if (_engine.Recorder.AccessLogEnabled)
        {
            // Taken now: a streamed body overwrites the head in the buffer.
            Exchange.LogMethod = RequestMethods.Name(Exchange.Head.Method) ?? System.Text.Encoding.ASCII.GetString(Exchange.Head.MethodToken(bytes));
            Exchange.LogPath = System.Text.Encoding.ASCII.GetString(Exchange.Head.Path(bytes));
        }

        BeginAttempt();
    }

    /// <summary>Picks a replica and starts sending the request to it.</summary>
    private void BeginAttempt()
    {
        var cluster = Exchange.Cluster!;
        var available = Exchange.Remaining ?? cluster.State.DestinationsState.AvailableDestinations;
        if (available.Count == 0)
        {
            _engine.Metrics.NoHealthyReplica.WithLabels(cluster.Service).Inc();
            var close = Exchange.CloseAfterResponse || Exchange.BodyToRead > 0;
            Respond(503, close ? cluster.NoReplicaResponseClose : cluster.NoReplicaResponse, close);
            return;
        }

        var picked = cluster.Pick(available);
        if (picked is null || !cluster.Destinations.TryGetValue(picked, out var destination))
        {
            // A destination the relay's snapshot does not know yet (a configuration is being applied): let YARP serve it.
            if (Exchange.Attempts == 0 && Exchange.Replayable && !Attempt.RequestHeadSent)
            {
                HandOff(HandoffReason.Cluster);
            }
            else
            {
                var close = Exchange.CloseAfterResponse || Exchange.BodyToRead > 0;
                Respond(502, close ? s_badGatewayClose : s_badGateway, close);
            }

            return;
        }

        if (Exchange.Attempts == 0 && _engine.Settings.Retries && _engine.Settings.MaxAttempts > 1)
        {
            // Where the YARP pipeline's RetryMiddleware deposits: once per request that goes to a replica (not a 503,
            // not a request handed to YARP, which deposits for it).
            _engine.Budgets.For(cluster.State).Deposit();
        }

        Exchange.Attempts++;
        Exchange.Destination = destination;
        Framing.Reset();
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
        var upstream = Attempt.Connection;
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
                Attempt.Deadline = Loop.Now + Exchange.Cluster!.ActivityTimeoutMs;
                progress = true;
            }
        }

        if (!upstream.HasPendingWrite)
        {
            Attempt.RequestHeadSent = true;
            Exchange.StartBodyWait(Loop.Now);

            if (Exchange.BodyToRead > 0 && ReadReady && Framing.Stage != ResponseStage.Done)
            {
                progress |= ReadRequestBody(upstream);
                if (Changed(upstream))
                {
                    return true;
                }
            }
        }

        // Response: what is held for the client is written out before the replica is read again.
        if (Exchange.OutLength > 0)
        {
            progress |= FlushClient();
            if (Changed(upstream))
            {
                return true;
            }
        }

        if (Exchange.OutLength == 0 && Exchange.HeldBodyLength > 0)
        {
            SendHeldBody();
            return true;
        }

        if (Exchange.OutLength == 0 && Framing.Stage != ResponseStage.Done && Attempt.RequestHeadSent && upstream.ReadReady)
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
    private bool Changed(UpstreamConnection upstream) => _phase != Phase.Exchange || !ReferenceEquals(Attempt.Connection, upstream);

    /// <summary>
    /// Sends the request to another replica, when retries are on, attempts and the retry budget are left, and the
    /// request is still in the buffer to be sent again; true when it did.
    /// </summary>
    private bool TryRetry()
    {
        var settings = _engine.Settings;
        if (!settings.Retries || Exchange.Attempts >= settings.MaxAttempts || !Exchange.Replayable)
        {
            return false;
        }

        var cluster = Exchange.Cluster!;
        Exchange.Remaining ??= [.. cluster.State.DestinationsState.AvailableDestinations];
        Exchange.Remaining.Remove(Exchange.Destination!.State);
        if (Exchange.Remaining.Count == 0)
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
        Exchange.Retries++;
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
        Exchange.Status = status;
        Framing.Stage = ResponseStage.Done;
        Exchange.ResponseStarted = true;
        Exchange.CloseAfterResponse |= closeAfter || Exchange.BodyToRead > 0;
        fixed (byte* bytes = response)
        {
            // Static or per-cluster arrays, all pinned.
            SetOutput(bytes, response.Length, fromUpstream: false);
        }
    }

    /// <summary>Ends the exchange once the response is written and the request fully sent.</summary>
    private bool TryFinish()
    {
        if (Framing.Stage != ResponseStage.Done || Exchange.OutLength > 0 || Exchange.HeldBodyLength > 0)
        {
            return false;
        }

        if (Attempt.Connection is { } upstream && (upstream.HasPendingWrite || Exchange.BodyToRead > 0))
        {
            // The replica answered before taking the whole body: its connection cannot be reused, and the rest of the
            // body on the client's connection cannot be told from a next request.
            Attempt.Reusable = false;
            Exchange.CloseAfterResponse = true;
        }

        Record();
        DetachUpstream(Attempt.Reusable && !(Attempt.Connection?.PeerClosed ?? true));
        if (Exchange.CloseAfterResponse || _listener.Draining)
        {
            Linger();
            return true;
        }

        // Keep-alive: what the client sent after this request is the next request.
        var consumed = Exchange.Consumed(_end);
        var left = _end - consumed;
        if (left > 0)
        {
            Buffer.MemoryCopy(_buffer + consumed, _buffer, left, left);
        }

        _end = left;
        _phase = Phase.Head;
        Exchange.Clear();
        _deadline = Loop.Now + (left > 0 ? _engine.Settings.RequestHeadersTimeoutMs : _engine.Settings.KeepAliveTimeoutMs);
        return true;
    }

    private void Record()
    {
        var elapsed = Stopwatch.GetTimestamp() - Exchange.Started;
        var cluster = Exchange.Cluster!;
        var destination = Exchange.Destination?.State;
        _engine.Recorder.Record(cluster.State.Model, _listener.Port, EntrySeries.MethodIndex(Exchange.Head.Method), Exchange.Status, destination, elapsed);
        if (_engine.Recorder.AccessLogEnabled)
        {
            _engine.Recorder.WriteAccessLog(AccessLogEntry.For(
                _listener.Port, Exchange.Route!.RouteId, cluster.State.Model, destination, Exchange.LogMethod ?? "", Exchange.LogPath ?? "", Exchange.Status, elapsed, Exchange.Retries, ClientAddress()));
        }
    }

    /// <summary>
    /// Deadlines of an exchange: the connect timeout, a replica gone silent, the replica's activity timeout, a client that
    /// reads nothing or sends its body too slowly.
    /// </summary>
    private void CheckExchangeDeadlines(long nowMs)
    {
        if (Attempt.Connection is { Connecting: false } sent && Framing.Stage == ResponseStage.AwaitingHead && nowMs >= Attempt.SilenceCheckAt
            && CheckSilence(sent, nowMs))
        {
            return;
        }

        if (Attempt.Connection is { } upstream && Framing.Stage != ResponseStage.Done && nowMs >= Attempt.Deadline && Exchange.OutLength == 0)
        {
            if (Exchange.ResponseStarted)
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

        if (Exchange.OutLength > 0 && nowMs >= Exchange.SendDeadline)
        {
            AbortExchange(StatusCodes.Status400BadRequest);
            return;
        }

        if (Exchange.IsBodyTooSlow(nowMs, _engine.Settings))
        {
            // Kestrel's MinRequestBodyDataRate: a client trickling its body is cut off.
            if (!Exchange.ResponseStarted && Attempt.Connection is not null)
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
        if (Exchange.Cluster is not null && Exchange.Status == 0)
        {
            Exchange.Status = unanswered;
        }

        if (Exchange.Cluster is not null)
        {
            Record();
        }

        DetachUpstream(reusable: false);
        Close();
    }
}
