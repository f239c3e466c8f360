using System.Diagnostics;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Forwarding.Relay;

/// <summary>
/// One client connection on an entry port, driven by its event loop: it reads a request head, picks the route and a
/// replica, forwards the request on a pooled keep-alive connection, relays the response, and starts over. A request
/// the relay does not handle itself hands the whole connection to Kestrel and the YARP pipeline, bytes read included.
/// </summary>
/// <remarks>
/// <para>
/// One buffer per direction and no copies beyond the head rewrites: the request head and any body bytes that came with
/// it stay in this connection's buffer (so a failed attempt can be retried on another replica), the response flows
/// through the upstream connection's buffer. Each buffer is written out before it is read into again, which is the
/// back-pressure: a slow client slows the replica's reads, never the gateway's memory.
/// </para>
/// <para>
/// Behaviour follows the YARP pipeline's: the same headers in and out, the same retries, passive health, 502/503/504,
/// metrics and access log. Everything on this class runs on its loop's thread.
/// </para>
/// </remarks>
internal sealed unsafe partial class ClientConnection : RelaySocket
{
    private static readonly DefaultHttpContext s_noContext = new();

    private static readonly byte[] s_badGateway = Response("502 Bad Gateway", close: false);
    private static readonly byte[] s_badGatewayClose = Response("502 Bad Gateway", close: true);
    private static readonly byte[] s_gatewayTimeout = Response("504 Gateway Timeout", close: false);
    private static readonly byte[] s_gatewayTimeoutClose = Response("504 Gateway Timeout", close: true);
    private static readonly byte[] s_requestTimeout = Response("408 Request Timeout", close: true);
    private static readonly byte[] s_lastChunk = RelayCluster.Pinned("0\r\n\r\n"u8.ToArray());

    private readonly RelayEngine _engine;
    private readonly RelayWorker _worker;
    private readonly EntryListener _listener;
    private readonly byte[] _forwardedFor;

    private Phase _phase = Phase.Head;
    private long _deadline;

    // The request bytes: the head being read, or the exchange's head and any body that came with it, then pipelined bytes.
    private byte* _buffer;
    private int _end;

    // The exchange.
    private RequestHead _head;
    private RelayRoute? _route;
    private RelayCluster? _cluster;
    private RelayDestination? _destination;
    private UpstreamConnection? _upstream;
    private long _started;
    private int _attempts;
    private int _retries;
    private bool _staleRetried;
    private List<DestinationState>? _remaining;
    private long _bodyInBuffer;
    private long _bodyToRead;
    private long _bodyStartedMs;
    private long _bodyReceived;
    private bool _replayable;
    private bool _requestHeadSent;
    private long _upstreamDeadline;
    private bool _closeAfterResponse;
    private ResponseState _response;
    private ResponseHead _responseHead;
    private ChunkedScanner _chunks;
    private long _responseLeft;
    private bool _upstreamReusable;
    private int _status;
    private bool _responseStarted;
    private int _heldBodyStart;
    private int _heldBodyLength;

    // What is being written to the client: a span of the upstream buffer, or a static response.
    private byte* _out;
    private int _outLength;
    private bool _outFromUpstream;
    private long _sendDeadline;

    public ClientConnection(RelayEngine engine, RelayWorker worker, EntryListener listener, int fd, byte[] forwardedFor)
        : base(worker.Loop, fd)
    {
        _engine = engine;
        _worker = worker;
        _listener = listener;
        _forwardedFor = forwardedFor;
        ReadReady = true;
        _deadline = Loop.Now + engine.Settings.RequestHeadersTimeoutMs;
    }

    private enum Phase : byte
    {
        /// <summary>Reading a request head (or idle between requests).</summary>
        Head,

        /// <summary>Forwarding a request and relaying its response.</summary>
        Exchange,

        /// <summary>Response sent, FIN sent; reading and discarding until the client closes too.</summary>
        Lingering,

        Closed,
    }

    private enum ResponseState : byte
    {
        AwaitingHead,
        Body,
        Done,
    }

    private enum Failure : byte
    {
        /// <summary>The replica refused the connection (or could not be reached at all).</summary>
        ConnectRefused,

        /// <summary>The TCP handshake timed out: a vanished task's address drops packets.</summary>
        ConnectTimeout,

        /// <summary>The connection reset or closed before a response head arrived.</summary>
        Reset,

        /// <summary>The replica sent something that is not an HTTP/1.1 response head.</summary>
        InvalidResponse,

        /// <summary>The replica was silent for longer than the cluster's activity timeout.</summary>
        ActivityTimeout,
    }

    /// <summary>Where the bytes of the current request's client are from, for the access log.</summary>
    public string ClientAddress { get; init; } = "";

    public override void OnEvents(uint events)
    {
        NoteEvents(events);
        Run();
    }

    /// <summary>The upstream connection of the current exchange has news.</summary>
    public void OnUpstreamEvents() => Run();

    public override void Abort()
    {
        if (_upstream is { } upstream)
        {
            _upstream = null;
            upstream.Close();
        }

        Close();
    }

    public override void OnTick(long nowMs)
    {
        switch (_phase)
        {
            case Phase.Head when _listener.Draining && _end == 0:
                Close();
                break;
            case Phase.Head when nowMs >= _deadline:
                if (_end > 0)
                {
                    // Kestrel's RequestHeadersTimeout: a slowloris client is told and cut off.
                    SendBestEffort(s_requestTimeout);
                }

                Close();
                break;
            case Phase.Exchange:
                CheckExchangeDeadlines(nowMs);
                break;
            case Phase.Lingering when nowMs >= _deadline:
                Close();
                break;
        }
    }

    private void Run()
    {
        var progress = true;
        while (progress && _phase != Phase.Closed)
        {
            progress = _phase switch
            {
                Phase.Head => StepHead(),
                Phase.Exchange => StepExchange(),
                Phase.Lingering => StepLinger(),
                _ => false,
            };
        }
    }

    // ---- Reading the request head --------------------------------------------------------------------------------

    private bool StepHead()
    {
        if (_end > 0 && TryParseHead(out var progressed))
        {
            return progressed;
        }

        if (!ReadReady)
        {
            return false;
        }

        if (_buffer == null)
        {
            _buffer = Loop.Buffers.Rent();
        }

        var wasEmpty = _end == 0;
        var read = Receive(_buffer + _end, BufferPool.BufferSize - _end);
        if (read == WouldBlock)
        {
            ReleaseEmptyBuffer();
            return false;
        }

        if (read <= 0)
        {
            // The client closed (or reset) between requests, or in the middle of a head: nothing to answer.
            Close();
            return false;
        }

        if (wasEmpty)
        {
            _deadline = Loop.Now + _engine.Settings.RequestHeadersTimeoutMs;
        }

        _end += read;
        return true;
    }

    /// <summary>Parses what has arrived. False when more is needed (<paramref name="progressed"/> says whether the caller should read).</summary>
    private bool TryParseHead(out bool progressed)
    {
        var bytes = new ReadOnlySpan<byte>(_buffer, _end);
        switch (RequestHeadParser.Parse(bytes, BufferPool.BufferSize, out _head, out var reason))
        {
            case RequestHeadStatus.Complete:
                StartExchange();
                progressed = true;
                return true;
            case RequestHeadStatus.Handoff:
                HandOff(reason);
                progressed = false;
                return true;
            default:
                progressed = false;
                return false;
        }
    }

    // ---- The exchange -------------------------------------------------------------------------------------------

    private void StartExchange()
    {
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

        if (_head.ContentLength > _engine.Settings.MaxRequestBodySize)
        {
            HandOff(HandoffReason.BodySize);
            return;
        }

        _phase = Phase.Exchange;
        _route = route;
        _cluster = cluster;
        _started = Stopwatch.GetTimestamp();
        _attempts = 0;
        _retries = 0;
        _staleRetried = false;
        _remaining = null;
        _bodyInBuffer = Math.Min(_end - _head.Length, _head.ContentLength);
        _bodyToRead = _head.ContentLength - _bodyInBuffer;
        _bodyReceived = _bodyInBuffer;
        _bodyStartedMs = Loop.Now;
        _replayable = true;
        _closeAfterResponse = _head.ConnectionClose || _listener.Draining;
        _status = 0;
        _responseStarted = false;
        if (_engine.Settings.Retries)
        {
            _engine.Budgets.For(cluster.State).Deposit();
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
            Respond(503, cluster.NoReplicaResponse);
            return;
        }

        var picked = cluster.Policy.PickDestination(s_noContext, cluster.State, available);
        if (picked is null || !cluster.Destinations.TryGetValue(picked, out var destination))
        {
            // A destination the relay's snapshot does not know yet (a configuration is being applied): let YARP serve it.
            if (_attempts == 0 && _replayable && !_requestHeadSent)
            {
                HandOff(HandoffReason.Cluster);
            }
            else
            {
                Respond(502, _closeAfterResponse || _bodyToRead > 0 ? s_badGatewayClose : s_badGateway);
            }

            return;
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
            if (errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM)
            {
                // The gateway, not the replica, is out of resources: no ejection, no retry storm.
                Respond(502, s_badGatewayClose, closeAfter: true);
                return;
            }

            OnUpstreamFailure(Failure.ConnectRefused);
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
    }

    private void ResetResponse()
    {
        _response = ResponseState.AwaitingHead;
        _responseHead = default;
        _chunks = default;
        _responseLeft = 0;
        _heldBodyLength = 0;
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
            // The rewritten head outgrew the buffer (a head near the buffer's size): Kestrel's.
            if (_attempts == 1 && _replayable)
            {
                DetachUpstream(reusable: true);
                HandOff(HandoffReason.Size);
            }
            else
            {
                Respond(502, s_badGatewayClose, closeAfter: true);
            }

            return;
        }

        upstream.QueueWrite(upstream.Buffer, length, _buffer + _head.Length, (int)_bodyInBuffer);
        _upstreamDeadline = Loop.Now + _cluster!.ActivityTimeoutMs;
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

            if (upstream.CompleteConnect() != 0)
            {
                OnUpstreamFailure(Failure.ConnectRefused);
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
                OnUpstreamFailure(Failure.Reset);
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
        // The buffer is reused from its start: the request can no longer be sent again from it.
        _replayable = false;
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

        _end = 0;
        _bodyToRead -= read;
        _bodyReceived += read;
        upstream.QueueWrite(null, 0, _buffer, read);
        return true;
    }

    /// <summary>Reads from the replica: the response head (and maybe body bytes), or more of the body.</summary>
    private bool ReadResponse(UpstreamConnection upstream)
    {
        var limit = BufferPool.BufferSize - UpstreamConnection.Tailroom;
        if (upstream.End >= limit)
        {
            // A response head that does not fit in the buffer.
            OnUpstreamFailure(Failure.InvalidResponse);
            return true;
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
                OnUpstreamFailure(Failure.InvalidResponse);
                return true;
        }

        var head = _responseHead;
        var buffer = new Span<byte>(upstream.Buffer, BufferPool.BufferSize);
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
            OnUpstreamFailure(Failure.InvalidResponse);
            return true;
        }

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

        var belonging = ConsumeBody(new ReadOnlySpan<byte>(upstream.Buffer + bodyStart, bodyBytes));
        if (belonging < 0)
        {
            return true;
        }

        SetOutput(upstream.Buffer + headStart, bodyStart - headStart + belonging, fromUpstream: true);
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

        var belonging = ConsumeBody(new ReadOnlySpan<byte>(upstream.Buffer + start, length));
        if (belonging >= 0)
        {
            SetOutput(upstream.Buffer + start, belonging, fromUpstream: true);
        }
    }

    /// <summary>
    /// Follows the body framing over <paramref name="data"/>: the bytes that belong to this response, or -1 when the
    /// framing broke (the exchange is aborted). Bytes past the end make the connection unfit for reuse.
    /// </summary>
    private int ConsumeBody(ReadOnlySpan<byte> data)
    {
        int belonging;
        switch (_responseHead.Framing)
        {
            case BodyFraming.None:
                belonging = 0;
                _response = ResponseState.Done;
                break;
            case BodyFraming.ContentLength:
                belonging = (int)Math.Min(data.Length, _responseLeft);
                _responseLeft -= belonging;
                if (_responseLeft == 0)
                {
                    _response = ResponseState.Done;
                }

                break;
            default:
                belonging = _chunks.Scan(data);
                if (_chunks.IsInvalid)
                {
                    AbortExchange();
                    return -1;
                }

                if (_chunks.IsDone)
                {
                    _response = ResponseState.Done;
                }

                break;
        }

        if (belonging < data.Length)
        {
            _upstreamReusable = false;
        }

        return belonging;
    }

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
        var reused = upstream?.Reused == true;
        DetachUpstream(reusable: false);
        if (_responseStarted)
        {
            // An interim response already reached the client; the exchange cannot start over.
            AbortExchange();
            return;
        }

        // A pooled connection the replica had closed meanwhile (a keep-alive race): once, on a fresh connection, silently.
        if (reused && failure == Failure.Reset && _replayable && !_staleRetried)
        {
            _staleRetried = true;
            ResetResponse();
            Connect(_destination!);
            return;
        }

        var neverReached = failure is Failure.ConnectRefused or Failure.ConnectTimeout;
        if (failure != Failure.ActivityTimeout)
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

    /// <summary>Answers with a response the relay made itself; the exchange ends when it is written.</summary>
    private void Respond(int status, byte[] response, bool closeAfter = false)
    {
        DetachUpstream(reusable: false);
        _status = status;
        _response = ResponseState.Done;
        _responseStarted = true;
        _closeAfterResponse |= closeAfter;
        fixed (byte* bytes = response)
        {
            // Static or per-cluster arrays, all pinned.
            SetOutput(bytes, response.Length, fromUpstream: false);
        }
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
        ReleaseEmptyBuffer();
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
            var bytes = new ReadOnlySpan<byte>(_buffer, _end);
            _engine.Recorder.WriteAccessLog(new AccessLogEntry(
                DateTimeOffset.UtcNow,
                _listener.Port,
                _route!.RouteId,
                cluster.Service,
                destination?.DestinationId,
                _destination?.Address,
                RequestMethods.Name(_head.Method) ?? System.Text.Encoding.ASCII.GetString(_head.MethodToken(bytes)),
                _replayable ? System.Text.Encoding.ASCII.GetString(_head.Path(bytes)) : "",
                _status,
                AccessLogWriter.DurationMs(elapsed),
                _retries,
                ClientAddress));
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
        var bodyElapsed = nowMs - _bodyStartedMs;
        if (_bodyToRead > 0 && bodyElapsed > settings.MinRequestBodyGracePeriodMs
            && _bodyReceived < settings.MinRequestBodyBytesPerSecond * bodyElapsed / 1000)
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

    private void DetachUpstream(bool reusable)
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
        if (reusable && upstream.IsOpen && !upstream.HasPendingWrite)
        {
            _worker.Pool.Return(upstream, Loop.Now);
        }
        else
        {
            upstream.Close();
        }
    }

    // ---- Closing and handing off --------------------------------------------------------------------------------

    /// <summary>Sends FIN and reads whatever the client still sends until it closes, so a reset cannot destroy the response.</summary>
    private void Linger()
    {
        _phase = Phase.Lingering;
        _deadline = Loop.Now + RelaySettings.LingerMs;
        Libc.Shutdown(Fd, Libc.SHUT_WR);
        _end = 0;
    }

    private bool StepLinger()
    {
        if (!ReadReady)
        {
            return false;
        }

        if (_buffer == null)
        {
            _buffer = Loop.Buffers.Rent();
        }

        var read = Receive(_buffer, BufferPool.BufferSize);
        if (read == WouldBlock)
        {
            return false;
        }

        if (read <= 0)
        {
            Close();
            return false;
        }

        return true;
    }

    /// <summary>Gives the connection, and every byte read from it that is not yet answered, to Kestrel.</summary>
    private void HandOff(HandoffReason reason)
    {
        var unread = new ReadOnlySpan<byte>(_buffer, _end).ToArray();
        ReleaseBuffer();
        _phase = Phase.Closed;
        _listener.HandOff(Detach(), unread, reason);
    }

    private void Close()
    {
        if (_phase == Phase.Closed)
        {
            return;
        }

        _phase = Phase.Closed;
        DetachUpstream(reusable: false);
        ReleaseBuffer();
        CloseSocket();
        _listener.OnRelayConnectionClosed();
    }

    private void ReleaseEmptyBuffer()
    {
        if (_end == 0)
        {
            ReleaseBuffer();
        }
    }

    private void ReleaseBuffer()
    {
        if (_buffer != null)
        {
            Loop.Buffers.Return(_buffer);
            _buffer = null;
        }

        _end = 0;
    }

    private static byte[] Response(string status, bool close) => RelayCluster.Pinned(System.Text.Encoding.ASCII.GetBytes(
        $"HTTP/1.1 {status}\r\nContent-Length: 0\r\n{(close ? "Connection: close\r\n" : "")}\r\n"));
}
