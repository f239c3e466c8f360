using System.Diagnostics;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Relay;

/// <summary>The exchange: choosing the route and a replica, and sending the request.</summary>
internal sealed unsafe partial class ClientConnection
{
    private void StartExchange()
    {
        var settings = _engine.Settings;
        if (_head.Length > settings.MaxRequestHeadLength || _head.HeadersStart > settings.MaxRequestLineSize)
        {
            // Kestrel counts a little less (no request line), so it may still take it; it decides, with 431 or 414.
            HandOff(HandoffReason.Size);
            return;
        }

        var bytes = new ReadOnlySpan<byte>(_buffer, _end);
        var routes = _engine.Routes.ForPort(_listener.Port);
        var reason = HandoffReason.Route;
        var route = routes?.Match(_head.HostName(bytes), _head.Path(bytes), out reason);
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

        if (_head.ContentLength > settings.MaxRequestBodySize)
        {
            HandOff(HandoffReason.BodySize);
            return;
        }

        if (HeadWriter.RequestLength(bytes, _head, cluster.MaxHostLineLength, _forwardedFor.Length) > BufferPool.BufferSize)
        {
            // A head near the buffer's size that its rewrite (Host, X-Forwarded-*) could outgrow, for any replica: Kestrel's,
            // now, before a replica is picked. Found only after a failed attempt, it could not be handed off any more.
            HandOff(HandoffReason.Size);
            return;
        }

        _phase = Phase.Exchange;
        _route = route;
        _cluster = cluster;
        _started = Stopwatch.GetTimestamp();
        _attempts = 0;
        _requestHeadSent = false;
        _retries = 0;
        _staleRetried = false;
        _remaining = null;
        _bodyInBuffer = Math.Min(_end - _head.Length, _head.ContentLength);
        _bodyToRead = _head.ContentLength - _bodyInBuffer;
        _bodyReceived = _bodyInBuffer;
        _bodyClockMs = 0;
        _bodyWaitStartMs = -1;
        _replayable = true;
        _closeAfterResponse = _head.ConnectionClose || _listener.Draining;
        _status = 0;
        _responseStarted = false;
        if (_engine.Recorder.AccessLogEnabled)
        {
            // Taken now: a streamed body overwrites the head in the buffer.
            _logMethod = RequestMethods.Name(_head.Method) ?? System.Text.Encoding.ASCII.GetString(_head.MethodToken(bytes));
            _logPath = System.Text.Encoding.ASCII.GetString(_head.Path(bytes));
        }

        BeginAttempt();
    }

    /// <summary>Picks a replica and starts sending the request to it.</summary>
    private void BeginAttempt()
    {
        var cluster = _cluster!;
        var available = _remaining ?? cluster.State.DestinationsState.AvailableDestinations;
        if (available.Count == 0)
        {
            _engine.Metrics.NoHealthyReplica.WithLabels(cluster.Service).Inc();
            var close = _closeAfterResponse || _bodyToRead > 0;
            Respond(503, close ? cluster.NoReplicaResponseClose : cluster.NoReplicaResponse, close);
            return;
        }

        var picked = cluster.Pick(available);
        if (picked is null || !cluster.Destinations.TryGetValue(picked, out var destination))
        {
            // A destination the relay's snapshot does not know yet (a configuration is being applied): let YARP serve it.
            if (_attempts == 0 && _replayable && !_requestHeadSent)
            {
                HandOff(HandoffReason.Cluster);
            }
            else
            {
                var close = _closeAfterResponse || _bodyToRead > 0;
                Respond(502, close ? s_badGatewayClose : s_badGateway, close);
            }

            return;
        }

        if (_attempts == 0 && _engine.Settings.Retries && _engine.Settings.MaxAttempts > 1)
        {
            // Where the YARP pipeline's RetryMiddleware deposits: once per request that goes to a replica (not a 503,
            // not a request handed to YARP, which deposits for it).
            _engine.Budgets.For(cluster.State).Deposit();
        }

        _attempts++;
        _destination = destination;
        ResetResponse();
        var pooled = _worker.Pool.TryTake(destination.Key);
        if (pooled is not null)
        {
            Attach(pooled);
            SendRequestHead();
            return;
        }

        Connect(destination);
    }

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
        _upstreamDeadline = Loop.Now + _engine.Settings.ConnectTimeoutMs;
        if (!upstream.Connecting)
        {
            SendRequestHead();
        }
    }

    private void Attach(UpstreamConnection upstream)
    {
        upstream.Owner = this;
        upstream.RentBuffer();
        _upstream = upstream;
        _requestHeadSent = false;
        _upstreamReusable = true;
        _sentBeforeRequest = upstream.BytesSent;
        _silenceCheckAt = long.MaxValue;
    }

    /// <summary>Writes the rewritten request head into the upstream buffer and queues it with the body bytes that came with it.</summary>
    private void SendRequestHead()
    {
        var upstream = _upstream!;
        var source = new ReadOnlySpan<byte>(_buffer, _end);
        var target = new Span<byte>(upstream.Buffer, BufferPool.BufferSize);
        var length = HeadWriter.WriteRequest(source, _head, _destination!.HostLine, _forwardedFor, target);
        if (length < 0)
        {
            // Not expected: StartExchange hands off every head whose rewrite could outgrow the buffer.
            Respond(502, s_badGatewayClose, closeAfter: true);
            return;
        }

        upstream.QueueWrite(upstream.Buffer, length, _buffer + _head.Length, (int)_bodyInBuffer);
        _upstreamDeadline = Loop.Now + _cluster!.ActivityTimeoutMs;
        // Checked on the tick, and only if no answer came by then: a request answered in time costs no system call.
        _silenceCheckAt = Loop.Now + _engine.Settings.UnacknowledgedTimeoutMs;
    }

    private bool StepExchange()
    {
        var upstream = _upstream;
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
                _upstreamDeadline = Loop.Now + _cluster!.ActivityTimeoutMs;
                progress = true;
            }
        }

        if (!upstream.HasPendingWrite)
        {
            _requestHeadSent = true;
            if (_bodyToRead > 0 && _bodyWaitStartMs < 0)
            {
                // Now waiting on the client: its body's data-rate clock runs (only) while it does, as Kestrel's does.
                _bodyWaitStartMs = Loop.Now;
            }

            if (_bodyToRead > 0 && ReadReady && _response != ResponseState.Done)
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

        if (_outLength == 0 && _response != ResponseState.Done && _requestHeadSent && upstream.ReadReady)
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
    private bool Changed(UpstreamConnection upstream) => _phase != Phase.Exchange || !ReferenceEquals(_upstream, upstream);

    /// <summary>Reads more of the request body from the client and queues it for the replica.</summary>
    private bool ReadRequestBody(UpstreamConnection upstream)
    {
        var read = Receive(_buffer, (int)Math.Min(BufferPool.BufferSize, _bodyToRead));
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
        _replayable = false;
        _end = 0;
        _bodyToRead -= read;
        _bodyReceived += read;
        _bodyClockMs += Loop.Now - _bodyWaitStartMs;
        _bodyWaitStartMs = -1;
        upstream.QueueWrite(null, 0, _buffer, read);
        return true;
    }

    /// <summary>Ends the exchange once the response is written and the request fully sent.</summary>
    private bool TryFinish()
    {
        if (_response != ResponseState.Done || _outLength > 0 || _heldBodyLength > 0)
        {
            return false;
        }

        if (_upstream is { } upstream && (upstream.HasPendingWrite || _bodyToRead > 0))
        {
            // The replica answered before taking the whole body: its connection cannot be reused, and the rest of the
            // body on the client's connection cannot be told from a next request.
            _upstreamReusable = false;
            _closeAfterResponse = true;
        }

        Record();
        DetachUpstream(_upstreamReusable && !(_upstream?.PeerClosed ?? true));
        if (_closeAfterResponse || _listener.Draining)
        {
            Linger();
            return true;
        }

        // Keep-alive: what the client sent after this request is the next request.
        var consumed = _replayable ? _head.Length + (int)_bodyInBuffer : _end;
        var left = _end - consumed;
        if (left > 0)
        {
            Buffer.MemoryCopy(_buffer + consumed, _buffer, left, left);
        }

        _end = left;
        _phase = Phase.Head;
        _route = null;
        _cluster = null;
        _destination = null;
        _remaining = null;
        _deadline = Loop.Now + (left > 0 ? _engine.Settings.RequestHeadersTimeoutMs : _engine.Settings.KeepAliveTimeoutMs);
        return true;
    }

    private void Record()
    {
        var elapsed = Stopwatch.GetTimestamp() - _started;
        var cluster = _cluster!;
        var destination = _destination?.State;
        _engine.Recorder.Record(cluster.State.Model, _listener.Port, EntrySeries.MethodIndex(_head.Method), _status, destination, elapsed);
        if (_engine.Recorder.AccessLogEnabled)
        {
            _engine.Recorder.WriteAccessLog(AccessLogEntry.For(
                _listener.Port, _route!.RouteId, cluster.State.Model, destination, _logMethod ?? "", _logPath ?? "", _status, elapsed, _retries, ClientAddress));
        }
    }

    private void DetachUpstream(bool reusable, bool reset = false)
    {
        if (_upstream is not { } upstream)
        {
            return;
        }

        _upstream = null;
        if (_outFromUpstream)
        {
            _out = null;
            _outLength = 0;
            _outFromUpstream = false;
        }

        _heldBodyLength = 0;
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
