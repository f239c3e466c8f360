using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Ingress.Gateway.Transport.Tls;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Relay;

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
    private static readonly byte[] s_badGateway = Response("502 Bad Gateway", close: false);
    private static readonly byte[] s_badGatewayClose = Response("502 Bad Gateway", close: true);
    private static readonly byte[] s_gatewayTimeout = Response("504 Gateway Timeout", close: false);
    private static readonly byte[] s_gatewayTimeoutClose = Response("504 Gateway Timeout", close: true);
    private static readonly byte[] s_requestTimeout = Response("408 Request Timeout", close: true);
    private static readonly byte[] s_lastChunk = RelayCluster.Pinned("0\r\n\r\n"u8.ToArray());

    private readonly RelayEngine _engine;
    private readonly RelayWorker _worker;
    private readonly IRelayEntry _listener;
    private readonly byte[] _forwardedFor;

    private Phase _phase = Phase.Head;
    private long _deadline;

    // The request bytes: the head being read, or the exchange's head and any body that came with it, then pipelined bytes.
    private byte* _buffer;
    private int _end;

    // The request being relayed: held while the connection is busy, like the buffer.
    private RelayExchange? _exchange;

    public ClientConnection(RelayEngine engine, RelayWorker worker, IRelayEntry listener, int fd, byte[] forwardedFor, TlsSession? tls = null)
        : base(worker.Loop, fd, tls)
    {
        _phase = tls is null ? Phase.Head : Phase.Handshake;
        _engine = engine;
        _worker = worker;
        _listener = listener;
        _forwardedFor = forwardedFor;
        ReadReady = true;
        _deadline = Loop.Now + engine.Settings.RequestHeadersTimeoutMs;
    }

    private enum Phase : byte
    {
        /// <summary>The TLS handshake, on a TLS entry port (bounded by the request-head timeout, as Kestrel's handshake is by its own).</summary>
        Handshake,

        /// <summary>Reading a request head (or idle between requests).</summary>
        Head,

        /// <summary>Forwarding a request and relaying its response.</summary>
        Exchange,

        /// <summary>Response sent, FIN sent; reading and discarding until the client closes too.</summary>
        Lingering,

        Closed,
    }

    /// <summary>The request being relayed (there is one whenever the connection holds its buffer).</summary>
    private RelayExchange Exchange => _exchange!;

    /// <summary>The current attempt at a replica: the upstream side of the exchange.</summary>
    private ref UpstreamAttempt Attempt => ref _exchange!.Attempt;

    /// <summary>The framing of the replica's response to the exchange.</summary>
    private ref ResponseFraming Framing => ref _exchange!.Response;

    public override void OnEvents(uint events)
    {
        NoteEvents(events);
        Run();
    }

    /// <summary>The upstream connection of the current exchange has news.</summary>
    public void OnUpstreamEvents() => Run();

    public override void Abort()
    {
        if (_exchange?.Attempt.Connection is { } upstream)
        {
            _exchange.Attempt.Connection = null;
            upstream.Close();
        }

        Close();
    }

    public override void OnTick(long nowMs)
    {
        switch (_phase)
        {
            case Phase.Handshake when _listener.Draining || nowMs >= _deadline:
                Close();
                break;
            case Phase.Head when _listener.Draining && _end == 0:
                Close();
                break;
            case Phase.Head when _end == 0 && nowMs < _deadline:
                // Idle between requests: the buffer goes back to the pool and the exchange is dropped. A busy connection
                // keeps both from one request to the next (no allocator round trip per request); an idle one holds neither.
                ReleaseEmptyBuffer();
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
                Phase.Handshake => StepHandshake(),
                Phase.Head => StepHead(),
                Phase.Exchange => StepExchange(),
                Phase.Lingering => StepLinger(),
                _ => false,
            };
        }
    }

    private bool StepHandshake()
    {
        switch (Tls!.Handshake())
        {
            case TlsSession.Status.Done when Tls.IsHttp2:
                // HTTP/2 by ALPN: Kestrel serves it, through the session the relay keeps.
                _phase = Phase.Head;
                HandOff(HandoffReason.Http2);
                return false;
            case TlsSession.Status.Done:
                _phase = Phase.Head;
                return true;
            case TlsSession.Status.WantRead:
            case TlsSession.Status.WantWrite:
                return false;
            default:
                // A failed handshake, or a client that left during it: there is no one to answer.
                Close();
                return false;
        }
    }

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
            _exchange ??= new RelayExchange();
        }

        var wasEmpty = _end == 0;
        var read = Receive(_buffer + _end, BufferPool.BufferSize - _end);
        if (read == WouldBlock)
        {
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
        switch (RequestHeadParser.Parse(bytes, BufferPool.BufferSize, out Exchange.Head, out var reason, _engine.Settings.AllowUnderscoresInHeaders))
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

    /// <summary>Sends FIN and reads whatever the client still sends until it closes, so a reset cannot destroy the response.</summary>
    private void Linger()
    {
        _phase = Phase.Lingering;
        _deadline = Loop.Now + RelaySettings.LingerMs;
        ShutdownSend();
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
        if (Tls is null)
        {
            _listener.HandOff(Detach(), unread, reason);
            return;
        }

        // TLS: Kestrel gets the plaintext end of a socket pair, and the relay keeps decrypting into it.
        var info = new TlsConnectionInfo(Tls.Protocol, Tls.CipherSuite, Tls.ApplicationProtocol, Tls.ServerName, PeerEndPoint(), LocalEndPoint());
        if (!TlsTunnel.TryOpenPair(out var pair))
        {
            _phase = Phase.Head;
            Close();
            return;
        }

        new TlsTunnel(Loop, Detach(), DetachTls()!, pair.Relay).Start();
        _listener.HandOff(pair.Kestrel, unread, reason, info);
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

    /// <summary>Idle between requests: the buffer goes back to the pool and the exchange to the GC.</summary>
    private void ReleaseEmptyBuffer()
    {
        if (_end == 0)
        {
            ReleaseBuffer();
            _exchange = null;
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

    private void SetOutput(byte* bytes, int length, bool fromUpstream)
    {
        Exchange.Out = bytes;
        Exchange.OutLength = length;
        Exchange.OutFromUpstream = fromUpstream;
        Exchange.SendDeadline = Loop.Now + RelaySettings.SendTimeoutMs;
        if (length == 0)
        {
            ReleaseOutput();
        }
    }

    /// <summary>Writes what is held for the client; true when something was written.</summary>
    private bool FlushClient()
    {
        if (Exchange.OutLength == 0 || !WriteReady)
        {
            return false;
        }

        var written = Send(Exchange.Out, Exchange.OutLength, null, 0);
        if (written == Failed)
        {
            AbortExchange(StatusCodes.Status400BadRequest);
            return false;
        }

        if (written <= 0)
        {
            return false;
        }

        Exchange.Out += written;
        Exchange.OutLength -= written;
        Exchange.SendDeadline = Loop.Now + RelaySettings.SendTimeoutMs;
        Attempt.Deadline = Loop.Now + (Exchange.Cluster?.ActivityTimeoutMs ?? 0);
        if (Exchange.OutLength == 0)
        {
            ReleaseOutput();
        }

        return true;
    }

    private void ReleaseOutput()
    {
        if (Exchange.OutFromUpstream && Attempt.Connection is { } upstream && Exchange.HeldBodyLength == 0)
        {
            // The upstream buffer is free again for the next read.
            upstream.End = UpstreamConnection.Headroom;
        }

        Exchange.Out = null;
        Exchange.OutFromUpstream = false;
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
    /// The client's address, for the access log: read back from the <c>X-Forwarded-For</c> line the connection keeps
    /// (a connection holds no other copy of it).
    /// </summary>
    private string ClientAddress()
    {
        var line = _forwardedFor.AsSpan();
        var start = line.IndexOf((byte)' ') + 1;
        return System.Text.Encoding.ASCII.GetString(line[start..(start + line[start..].IndexOf((byte)'\r'))]);
    }

    private static byte[] Response(string status, bool close) => RelayCluster.Pinned(System.Text.Encoding.ASCII.GetBytes(
        $"HTTP/1.1 {status}\r\nContent-Length: 0\r\n{(close ? "Connection: close\r\n" : "")}\r\n"));
}
