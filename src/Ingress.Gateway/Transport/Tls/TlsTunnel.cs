using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Transport.Tls;

/// <summary>
/// A TLS connection the relay gave to Kestrel: the relay keeps its TLS session and moves plaintext between it and one
/// end of a socket pair, whose other end Kestrel serves as a plain connection (HTTP/2 by ALPN, upgrades, and every
/// request the relay hands off).
/// </summary>
/// <remarks>
/// One buffer per direction; each is written out before it is read into again, so a slow reader on either side slows
/// the other, never the gateway's memory. An end of stream on one side is passed on as one (close_notify and FIN to
/// the client, FIN to Kestrel), and the tunnel closes when both directions are done, or when either side fails.
/// Kestrel's own timeouts guard the connection while it serves it; the tunnel's only timer is for a client that stops
/// reading once Kestrel is done.
/// </remarks>
internal sealed unsafe class TlsTunnel
{
    /// <summary>How long the rest of a response may wait for a client that stopped reading, once Kestrel is done.</summary>
    private const long FinishMs = 30_000;

    private readonly Side _client;
    private readonly Side _kestrel;
    private readonly Direction _up = new();
    private readonly Direction _down = new();
    private long _deadline = long.MaxValue;
    private bool _closed;

    /// <summary>Takes over the client's descriptor and session, and the relay's end of the pair.</summary>
    public TlsTunnel(EventLoop loop, int clientFd, TlsSession tls, int pairFd)
    {
        _client = new Side(this, loop, clientFd, tls);
        _kestrel = new Side(this, loop, pairFd, null);
    }

    /// <summary>A non-blocking socket pair: one end for the tunnel, the other for Kestrel; false when the process is out of descriptors.</summary>
    public static bool TryOpenPair(out (int Relay, int Kestrel) pair)
    {
        var fds = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, fds) != 0)
        {
            pair = default;
            return false;
        }

        pair = (fds[0], fds[1]);
        return true;
    }

    /// <summary>Registers both sockets with the loop, and moves what is already waiting.</summary>
    public void Start()
    {
        _client.Register();
        _kestrel.Register();
        Pump();
    }

    private void Pump()
    {
        var progress = true;
        while (progress && !_closed)
        {
            progress = Move(_client, _kestrel, _up) | Move(_kestrel, _client, _down);
        }

        if (!_closed && _up.Done && _down.Done)
        {
            Close();
        }
    }

    /// <summary>Moves one buffer's worth from <paramref name="from"/> to <paramref name="to"/>; true when anything moved.</summary>
    private bool Move(Side from, Side to, Direction direction)
    {
        var moved = false;
        if (direction.Pending == 0 && !direction.Ended && from.ReadReady)
        {
            direction.Buffer = direction.Buffer == null ? from.Loop.Buffers.Rent() : direction.Buffer;
            var read = from.Receive(direction.Buffer, BufferPool.BufferSize);
            if (read > 0)
            {
                direction.Start = 0;
                direction.End = read;
                moved = true;
            }
            else if (read == 0)
            {
                direction.Ended = true;
                moved = true;
            }
            else if (read == RelaySocket.Failed)
            {
                Close();
                return false;
            }
        }

        if (direction.Pending > 0 && to.WriteReady)
        {
            var written = to.Send(direction.Buffer + direction.Start, direction.Pending, null, 0);
            if (written == RelaySocket.Failed)
            {
                Close();
                return false;
            }

            if (written > 0)
            {
                direction.Start += written;
                moved = true;
            }
        }

        if (direction.Ended && direction.Pending == 0 && !direction.Done)
        {
            direction.Done = true;
            to.ShutdownSend();
            if (direction == _down)
            {
                _deadline = _client.Loop.Now + FinishMs;
            }
        }

        return moved;
    }

    private void OnTick(long nowMs)
    {
        if (nowMs >= _deadline)
        {
            Close();
        }
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _client.Close();
        _kestrel.Close();
        Return(_up);
        Return(_down);
    }

    private void Return(Direction direction)
    {
        if (direction.Buffer != null)
        {
            _client.Loop.Buffers.Return(direction.Buffer);
            direction.Buffer = null;
        }
    }

    /// <summary>What is in flight one way.</summary>
    private sealed class Direction
    {
        public byte* Buffer;
        public int Start;
        public int End;

        /// <summary>The sender's stream ended (once what it sent is passed on, the receiver is told).</summary>
        public bool Ended;

        /// <summary>Ended, passed on, and the receiver told.</summary>
        public bool Done;

        public int Pending => End - Start;
    }

    /// <summary>One of the two sockets, reporting to the tunnel.</summary>
    private sealed class Side : RelaySocket
    {
        private readonly TlsTunnel _tunnel;

        public Side(TlsTunnel tunnel, EventLoop loop, int fd, TlsSession? tls)
            : base(loop, fd, tls)
        {
            _tunnel = tunnel;

            // Bytes may be waiting already (in the socket, or decrypted in OpenSSL's buffer): the first read finds out.
            ReadReady = true;
        }

        public override void OnEvents(uint events)
        {
            NoteEvents(events);
            _tunnel.Pump();
        }

        public override void OnTick(long nowMs)
        {
            if (this == _tunnel._client)
            {
                _tunnel.OnTick(nowMs);
            }
        }

        public override void Abort() => _tunnel.Close();

        public void Close() => CloseSocket();
    }
}
