using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Relay;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Ingress.Gateway.Transport.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// One entry port: its listening sockets, accepted on by every event loop, the per-port connection cap, and the
/// queue of connections handed over to Kestrel. To Kestrel it is an ordinary <see cref="IConnectionListener"/>
/// that only ever accepts the connections the relay gives up.
/// </summary>
internal sealed partial class EntryListener : IConnectionListener, IRelayEntry
{
    private static readonly byte[] s_shuttingDown = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n");

    private readonly EntryEndPoint _endPoint;
    private readonly int[] _fds;
    private readonly RelayEngine _engine;
    private readonly ConnectionCap _cap;
    private readonly SocketConnectionContextFactory _handoffFactory;
    private readonly ITlsContextSelector? _tls;
    private readonly byte[] _forwardedProto;
    private readonly ILogger<EntryListener> _logger;
    private readonly Prometheus.Counter.Child[] _handoffs;
    private readonly Channel<ConnectionContext> _handedOff = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<(RelayWorker Worker, AcceptHandler Handler)> _acceptors = [];
    private readonly TaskCompletionSource _relayDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _relayConnections;
    private volatile bool _draining;
    private int _unbound;

    public EntryListener(EntryEndPoint endPoint, int[] fds, RelayEngine engine, GatewayMetrics metrics, int maxConnections,
        SocketConnectionContextFactory handoffFactory, ITlsContextSelector? tls, ILogger<EntryListener> logger)
    {
        if (endPoint.Tls && tls is null)
        {
            throw new ArgumentException($"The TLS entry port {endPoint} needs certificates.", nameof(tls));
        }

        _tls = endPoint.Tls ? tls : null;
        _forwardedProto = Encoding.ASCII.GetBytes(endPoint.Tls ? "https" : "http");
        _endPoint = endPoint;
        _fds = fds;
        _engine = engine;
        _cap = new ConnectionCap(endPoint.Port, maxConnections, metrics);
        _handoffFactory = handoffFactory;
        _logger = logger;
        var port = endPoint.Port.ToString(CultureInfo.InvariantCulture);
        _handoffs = [.. Enum.GetValues<HandoffReason>().Select(r => metrics.RelayHandoffs.WithLabels(port, HandoffLabel(r)))];
        // Only the real reasons are exported: "none" is never counted.
        metrics.RelayHandoffs.RemoveLabelled(port, HandoffLabel(HandoffReason.None));
    }

    public EndPoint EndPoint => _endPoint;

    public int Port => _endPoint.Port;

    public int RoutesPort => _endPoint.Routes;

    /// <summary>The gateway is shutting down: finish what is in flight, take nothing new.</summary>
    public bool Draining => _draining;

    /// <summary>Starts accepting on every event loop.</summary>
    public void Start()
    {
        foreach (var worker in _engine.Workers)
        {
            foreach (var fd in _fds)
            {
                var handler = new AcceptHandler(this, worker, fd);
                _acceptors.Add((worker, handler));
                worker.Loop.Post(handler.Register);
            }
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _handedOff.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_handedOff.Reader.TryRead(out var connection))
            {
                return connection;
            }
        }

        return null;
    }

    /// <summary>
    /// Stops accepting and drains: idle keep-alive connections close, requests in flight finish (their responses say
    /// <c>Connection: close</c>), until they are done or <paramref name="cancellationToken"/> (Kestrel's shutdown timeout) fires.
    /// </summary>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _unbound, 1) == 1)
        {
            return;
        }

        _draining = true;
        var stopped = _acceptors.Select(a => Post(a.Worker, a.Handler.Unregister)).ToArray();
        await Task.WhenAll(stopped).ConfigureAwait(false);
        foreach (var fd in _fds)
        {
            Libc.Close(fd);
        }

        _handedOff.Writer.TryComplete();
        if (Volatile.Read(ref _relayConnections) == 0)
        {
            _relayDrained.TrySetResult();
        }

        try
        {
            await _relayDrained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown timeout: the loops close what is left when the relay stops.
        }
    }

    public async ValueTask DisposeAsync() => await UnbindAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);

    /// <summary>A new connection was accepted on <paramref name="worker"/>'s loop.</summary>
    private unsafe void OnAccepted(RelayWorker worker, int fd, ReadOnlySpan<byte> peer)
    {
        if (_draining)
        {
            TurnAway(fd, s_shuttingDown);
            return;
        }

        if (!_cap.TryOpen())
        {
            TurnAway(fd, ConnectionCap.Refusal);
            return;
        }

        TlsSession? session = null;
        if (_tls is not null && !TryStartTls(fd, out session))
        {
            _cap.Closed();
            Libc.Close(fd);
            return;
        }

        Interlocked.Increment(ref _relayConnections);
        var one = 1;
        Libc.SetSockOpt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));

        // X-Forwarded-For as the YARP pipeline writes it: Kestrel's RemoteIpAddress, printed by IPAddress.
        var client = SocketAddresses.Read(peer)?.Address.ToString() ?? "";
        var forwardedFor = RelayCluster.Pinned([.. Encoding.ASCII.GetBytes($"X-Forwarded-For: {client}\r\nX-Forwarded-Proto: "), .. _forwardedProto, .. "\r\n"u8]);
        var connection = new ClientConnection(_engine, worker, this, fd, forwardedFor, session);
        try
        {
            connection.Register();
        }
        catch (IOException ex)
        {
            LogRegisterFailed(ex);
            session?.Dispose();
            Libc.Close(fd);
            OnRelayConnectionClosed();
        }
    }

    /// <summary>
    /// Starts the server side of a TLS session on <paramref name="fd"/> with the default certificate's context (SNI may
    /// switch it); false, with the reason logged, when no certificate is loaded or OpenSSL fails. The client's handshake
    /// then fails, as Kestrel's does when it has no certificate.
    /// </summary>
    private bool TryStartTls(int fd, out TlsSession? session)
    {
        session = null;
        try
        {
            if (_tls!.Default is not { } context)
            {
                LogNoCertificate(Port);
                return false;
            }

            session = TlsSession.Create(context, fd);
            return true;
        }
        catch (Exception ex)
        {
            LogTlsStartFailed(Port, ex);
            return false;
        }
    }

    /// <summary>A relayed connection closed.</summary>
    public void OnRelayConnectionClosed()
    {
        _cap.Closed();
        ReleaseRelayConnection();
    }

    /// <summary>
    /// Gives <paramref name="fd"/> to Kestrel, with the bytes already read from it (<paramref name="unread"/>), which
    /// Kestrel reads first. Called on the connection's loop.
    /// </summary>
    public unsafe void HandOff(int fd, byte[] unread, HandoffReason reason, TlsConnectionInfo? tls = null)
    {
        _handoffs[(int)reason].Inc();
        ReleaseRelayConnection();
        if (_draining)
        {
            Refuse(fd, s_shuttingDown);
            OnHandedOffClosed();
            return;
        }

        ConnectionContext connection;
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        Socket? socket = null;
        try
        {
            socket = new Socket(handle);
            connection = new HandoffConnection(_handoffFactory.Create(socket), unread, OnHandedOffClosed, tls);
        }
        catch (Exception ex)
        {
            // The handle owns the descriptor now: closing it once, through the handle, is the only safe close.
            LogHandoffFailed(ex);
            if (socket is not null)
            {
                socket.Dispose();
            }
            else
            {
                handle.Dispose();
            }

            OnHandedOffClosed();
            return;
        }

        if (!_handedOff.Writer.TryWrite(connection))
        {
            // Unbound meanwhile.
            _ = connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Refuses a new connection: with <paramref name="response"/> on a plain port; closed without a word on a TLS port,
    /// where the client could not read a plaintext answer (as the Kestrel path's limiter does).
    /// </summary>
    private void TurnAway(int fd, byte[] response)
    {
        if (_tls is null)
        {
            Refuse(fd, response);
            return;
        }

        Libc.Close(fd);
    }

    /// <summary>
    /// Answers <paramref name="fd"/> with <paramref name="response"/> and closes it, after reading what the client has
    /// already sent: closing a socket with unread bytes resets the connection, and the client would see the reset
    /// rather than the response.
    /// </summary>
    private static unsafe void Refuse(int fd, byte[] response)
    {
        fixed (byte* bytes = response)
        {
            Libc.Send(fd, bytes, response.Length, Libc.MSG_NOSIGNAL);
        }

        Libc.Shutdown(fd, Libc.SHUT_WR);
        // The socket is non-blocking: this reads what has arrived, up to 64 KiB, and never waits.
        var discard = stackalloc byte[4096];
        for (var i = 0; i < 16 && Libc.Recv(fd, discard, 4096, 0) > 0; i++)
        {
        }

        Libc.Close(fd);
    }

    private void OnHandedOffClosed()
    {
        _cap.Closed();
    }

    private void ReleaseRelayConnection()
    {
        if (Interlocked.Decrement(ref _relayConnections) == 0 && _draining)
        {
            _relayDrained.TrySetResult();
        }
    }

    private static Task Post(RelayWorker worker, Action action)
    {
        if (!worker.Loop.IsRunning)
        {
            // The loop has stopped (the relay was disposed first): nothing runs concurrently any more.
            action();
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.Loop.Post(() =>
        {
            action();
            done.TrySetResult();
        });
        return done.Task;
    }

    internal static string HandoffLabel(HandoffReason reason) => reason switch
    {
        HandoffReason.Malformed => "malformed",
        HandoffReason.Version => "version",
        HandoffReason.Target => "target",
        HandoffReason.Upgrade => "upgrade",
        HandoffReason.Expect => "expect",
        HandoffReason.TransferEncoding => "transfer_encoding",
        HandoffReason.Size => "size",
        HandoffReason.BodySize => "body_size",
        HandoffReason.Route => "route",
        HandoffReason.Cluster => "cluster",
        HandoffReason.Redirect => "redirect",
        HandoffReason.Policy => "policy",
        HandoffReason.Tracing => "tracing",
        HandoffReason.Http2 => "h2",
        _ => "none",
    };

    [LoggerMessage(EventId = 420, Level = LogLevel.Error, Message = "A connection could not be registered with its event loop; it was closed.")]
    private partial void LogRegisterFailed(Exception exception);

    [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "A connection could not be handed to Kestrel; it was closed.")]
    private partial void LogHandoffFailed(Exception exception);

    [LoggerMessage(EventId = 423, Level = LogLevel.Warning, Message = "A TLS connection on entry port {Port} was closed: no TLS certificate is loaded.")]
    private partial void LogNoCertificate(int port);

    [LoggerMessage(EventId = 424, Level = LogLevel.Error, Message = "A TLS connection on entry port {Port} was closed: OpenSSL could not start its session.")]
    private partial void LogTlsStartFailed(int port, Exception exception);

    [LoggerMessage(EventId = 422, Level = LogLevel.Error, Message = "accept4 on entry port {Port} failed (errno {Errno}).")]
    private partial void LogAcceptFailed(int port, int errno);

    /// <summary>One loop's registration on one listening socket. Level-triggered and exclusive: a connection wakes one loop, or a few, not all.</summary>
    private sealed unsafe class AcceptHandler(EntryListener listener, RelayWorker worker, int fd) : ILoopHandler
    {
        /// <summary>Connections accepted per wake-up before the loop serves its other sockets.</summary>
        private const int MaxPerWakeup = 64;

        /// <summary>How long accepting pauses when the process is out of descriptors (nginx pauses too).</summary>
        private const long PauseMs = 100;

        private int _slot = -1;

        public void Register()
        {
            if (listener._draining)
            {
                return;
            }

            try
            {
                _slot = worker.Loop.Register(this, fd, Libc.EPOLLIN | Libc.EPOLLEXCLUSIVE);
            }
            catch (IOException ex)
            {
                listener.LogRegisterFailed(ex);
            }
        }

        public void Unregister()
        {
            if (_slot >= 0)
            {
                worker.Loop.Unregister(_slot, fd);
                _slot = -1;
            }
        }

        public void OnEvents(uint events)
        {
            if (_slot < 0)
            {
                return;
            }

            var peer = stackalloc byte[SocketAddresses.MaxLength];
            for (var i = 0; i < MaxPerWakeup; i++)
            {
                var length = SocketAddresses.MaxLength;
                var accepted = Libc.Accept4(fd, peer, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                if (accepted >= 0)
                {
                    try
                    {
                        listener.OnAccepted(worker, accepted, new ReadOnlySpan<byte>(peer, length));
                    }
                    catch (Exception ex)
                    {
                        // One connection's failure must not stop this loop accepting the next.
                        listener.LogRegisterFailed(ex);
                    }

                    continue;
                }

                var errno = Libc.LastError;
                if (errno is Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM)
                {
                    // Out of descriptors: stop accepting for a moment rather than spin on a level-triggered socket.
                    listener.LogAcceptFailed(listener.Port, errno);
                    Unregister();
                    worker.Loop.Schedule(PauseMs, Register);
                }

                return;
            }
        }

        public void OnTick(long nowMs)
        {
        }

        public void Abort() => Unregister();
    }
}
