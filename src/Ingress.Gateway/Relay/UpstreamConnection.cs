using Ingress.Gateway.Resilience;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Relay;

/// <summary>
/// A keep-alive connection to one replica. While an exchange uses it, its <see cref="Owner"/> gets its events; while
/// it waits in the <see cref="UpstreamPool"/>, any event (the replica closed it, or sent something unasked) closes it.
/// </summary>
internal sealed unsafe class UpstreamConnection : RelaySocket
{
    /// <summary>Bytes kept free at the start of the response buffer, so a response head can grow in place.</summary>
    public const int Headroom = 256;

    /// <summary>Bytes kept free at the end, for the CRLF that closes a re-framed chunk.</summary>
    public const int Tailroom = 8;

    /// <summary>
    /// The size of the buffer a response head that outgrows the pooled one moves to: room for a 64 KiB head, the most
    /// HttpClient takes by default (<c>MaxResponseHeadersLength</c>), so the relay forwards what the YARP path would.
    /// </summary>
    public const int LargeBufferSize = 64 * 1024 + 4096;

    private byte* _pendingFirst;
    private int _pendingFirstLength;
    private byte* _pendingSecond;
    private int _pendingSecondLength;

    private UpstreamConnection(EventLoop loop, int fd, UpstreamKey key)
        : base(loop, fd)
    {
        Key = key;
    }

    public UpstreamKey Key { get; }

    /// <summary>The exchange using this connection; null while pooled.</summary>
    public ClientConnection? Owner { get; set; }

    /// <summary>The TCP handshake has not completed yet.</summary>
    public bool Connecting { get; private set; }

    /// <summary>The connection came from the pool: a failure before any answer may just mean the replica closed it meanwhile.</summary>
    public bool Reused { get; set; }

    /// <summary>When the connection went back to the pool (loop clock).</summary>
    public long IdleSince { get; set; }

    /// <summary>The response buffer, rented while an exchange uses the connection. Data starts at <see cref="Headroom"/>.</summary>
    public byte* Buffer { get; private set; }

    /// <summary>The size of <see cref="Buffer"/>: the pool's, or <see cref="LargeBufferSize"/> after <see cref="GrowBuffer"/>.</summary>
    public int BufferSize { get; private set; } = BufferPool.BufferSize;

    /// <summary>The end of the response bytes in <see cref="Buffer"/>.</summary>
    public int End { get; set; } = Headroom;

    public bool HasPendingWrite => _pendingFirstLength + _pendingSecondLength > 0;

    /// <summary>Bytes written to the socket over the connection's life: where a request starts, for <see cref="SilentReplica"/>.</summary>
    public ulong BytesSent { get; private set; }

    /// <summary>
    /// Starts a non-blocking connect to <paramref name="destination"/>. Returns null with <paramref name="errno"/> set
    /// when it failed at once (on loopback a refused connect often does).
    /// </summary>
    public static UpstreamConnection? Connect(EventLoop loop, RelayDestination destination, out int errno)
    {
        errno = 0;
        var family = destination.EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;
        var fd = Libc.Socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            errno = Libc.LastError;
            return null;
        }

        var one = 1;
        Libc.SetSockOpt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));
        int result;
        fixed (byte* address = destination.SocketAddress)
        {
            result = Libc.Connect(fd, address, destination.SocketAddressLength);
        }

        var connecting = false;
        if (result != 0)
        {
            errno = Libc.LastError;
            if (errno != Errno.EINPROGRESS)
            {
                Libc.Close(fd);
                return null;
            }

            errno = 0;
            connecting = true;
        }

        var connection = new UpstreamConnection(loop, fd, destination.Key) { Connecting = connecting, WriteReady = !connecting };
        try
        {
            connection.Register();
        }
        catch (IOException)
        {
            Libc.Close(fd);
            errno = Errno.ENOMEM;
            return null;
        }

        return connection;
    }

    /// <summary>After the socket became writable (or failed) while connecting: 0 when the handshake succeeded, else its errno.</summary>
    public int CompleteConnect()
    {
        var error = 0;
        var length = sizeof(int);
        if (Libc.GetSockOpt(Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length) != 0)
        {
            error = Libc.LastError;
        }

        Connecting = false;
        return error;
    }

    /// <summary>Makes sure the connection has its (empty) response buffer for a new exchange.</summary>
    public void RentBuffer()
    {
        if (Buffer == null)
        {
            Buffer = Loop.Buffers.Rent();
        }

        End = Headroom;
    }

    /// <summary>
    /// Moves the response bytes to a buffer of <see cref="LargeBufferSize"/>, for a response head larger than the pooled
    /// buffer. Rare (a head of many or long cookies), so the large buffer is mapped for this exchange and unmapped after.
    /// Returns false when it is large already.
    /// </summary>
    public bool GrowBuffer()
    {
        if (BufferSize == LargeBufferSize)
        {
            return false;
        }

        var large = (byte*)Libc.MMap(null, LargeBufferSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (large == (byte*)-1)
        {
            throw new OutOfMemoryException($"mmap of a {LargeBufferSize}-byte response buffer failed (errno {Libc.LastError}).");
        }

        System.Buffer.MemoryCopy(Buffer, large, LargeBufferSize, End);
        Loop.Buffers.Return(Buffer);
        Buffer = large;
        BufferSize = LargeBufferSize;
        return true;
    }

    public void ReturnBuffer()
    {
        if (Buffer != null)
        {
            if (BufferSize == LargeBufferSize)
            {
                Libc.MUnmap(Buffer, LargeBufferSize);
                BufferSize = BufferPool.BufferSize;
            }
            else
            {
                Loop.Buffers.Return(Buffer);
            }

            Buffer = null;
            End = Headroom;
        }
    }

    /// <summary>Queues a write of two buffers (either may be empty); <see cref="Flush"/> sends it.</summary>
    public void QueueWrite(byte* first, int firstLength, byte* second, int secondLength)
    {
        _pendingFirst = first;
        _pendingFirstLength = firstLength;
        _pendingSecond = second;
        _pendingSecondLength = secondLength;
    }

    /// <summary>Sends what the socket takes of the queued write: the count sent, or <see cref="RelaySocket.WouldBlock"/> / <see cref="RelaySocket.Failed"/>.</summary>
    public int Flush()
    {
        var written = Send(_pendingFirst, _pendingFirstLength, _pendingSecond, _pendingSecondLength);
        if (written <= 0)
        {
            return written;
        }

        BytesSent += (ulong)written;
        var fromFirst = Math.Min(written, _pendingFirstLength);
        _pendingFirst += fromFirst;
        _pendingFirstLength -= fromFirst;
        var fromSecond = written - fromFirst;
        _pendingSecond += fromSecond;
        _pendingSecondLength -= fromSecond;
        return written;
    }

    public override void OnEvents(uint events)
    {
        NoteEvents(events);
        if (Owner is { } owner)
        {
            owner.OnUpstreamEvents();
        }
        else
        {
            // Pooled: a replica closing an idle connection (or writing to it unasked) ends it.
            Close();
        }
    }

    public override void OnTick(long nowMs)
    {
        // An exchange's deadlines are its client connection's to keep. A pooled connection gives its buffer back once
        // idle for a tick, and is closed once idle too long.
        if (Owner is not null)
        {
            return;
        }

        if (nowMs - IdleSince > UpstreamPool.IdleTimeoutMs)
        {
            Close();
        }
        else
        {
            ReturnBuffer();
        }
    }

    public override void Abort()
    {
        if (Owner is { } owner)
        {
            owner.Abort();
        }

        Close();
    }

    /// <summary>
    /// Closes a connection to a replica that went silent with a reset (<c>SO_LINGER</c> 0): the kernel drops the unsent and
    /// unacknowledged bytes at once, rather than retransmitting them to a dead host for minutes.
    /// </summary>
    public void CloseWithReset()
    {
        if (IsOpen)
        {
            var linger = stackalloc int[2] { 1, 0 };
            Libc.SetSockOpt(Fd, Libc.SOL_SOCKET, Libc.SO_LINGER, linger, 2 * sizeof(int));
        }

        Close();
    }

    /// <summary>Closes the connection and returns its buffer.</summary>
    public void Close()
    {
        Owner = null;
        ReturnBuffer();
        CloseSocket();
    }
}
