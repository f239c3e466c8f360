using System.Net;
using Ingress.Gateway.Transport.Native;
using Ingress.Gateway.Transport.Tls;

namespace Ingress.Gateway.Transport;

/// <summary>
/// A non-blocking TCP socket registered edge-triggered with one <see cref="EventLoop"/>, and what is known about its
/// readiness. With edge-triggered epoll the kernel reports a change once, so the flags remember it until a read or
/// write finds the socket drained or full.
/// </summary>
/// <remarks>
/// On a TLS entry port the socket carries a <see cref="TlsSession"/>, and the same reads and writes move plaintext
/// through it: OpenSSL reads and writes the records on the descriptor, and "drained" or "full" is what it reports.
/// </remarks>
internal abstract unsafe class RelaySocket : ILoopHandler
{
    /// <summary>A read or write found nothing to do: the socket is drained (or full) until the next event.</summary>
    public const int WouldBlock = -1;

    /// <summary>The read or write failed; <see cref="LastErrno"/> says why.</summary>
    public const int Failed = -2;

    private int _slot = -1;

    protected RelaySocket(EventLoop loop, int fd, TlsSession? tls = null)
    {
        Loop = loop;
        Fd = fd;
        Tls = tls;
    }

    public EventLoop Loop { get; }

    public int Fd { get; private set; }

    public bool IsOpen => Fd >= 0;

    /// <summary>Data (or the end of the stream) may be waiting to be read.</summary>
    public bool ReadReady { get; set; }

    /// <summary>The socket may take more bytes.</summary>
    public bool WriteReady { get; set; } = true;

    /// <summary>The peer shut down its side, or the connection failed: once the data before it is read, a read returns 0.</summary>
    public bool PeerClosed { get; set; }

    /// <summary>The errno of the last failed call.</summary>
    public int LastErrno { get; protected set; }

    /// <summary>The TLS session over the socket, on a TLS entry port; null on a plain one.</summary>
    protected TlsSession? Tls { get; private set; }

    /// <summary>The peer's address (<c>getpeername</c>); null when the socket has none or is not IP.</summary>
    public IPEndPoint? PeerEndPoint() => Address(peer: true);

    /// <summary>The socket's own address (<c>getsockname</c>); null when it is not IP.</summary>
    public IPEndPoint? LocalEndPoint() => Address(peer: false);

    /// <summary>Registers the socket with its loop.</summary>
    public void Register() => _slot = Loop.RegisterConnection(this, Fd);

    public abstract void OnEvents(uint events);

    public abstract void OnTick(long nowMs);

    public abstract void Abort();

    /// <summary>Records what the kernel reported; returns true when anything changed.</summary>
    protected void NoteEvents(uint events)
    {
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            ReadReady = true;
        }

        if ((events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            PeerClosed = true;
        }

        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            WriteReady = true;
        }
    }

    /// <summary>Reads into <paramref name="buffer"/>: the count read, 0 at the end of the stream, or <see cref="WouldBlock"/> / <see cref="Failed"/>.</summary>
    public int Receive(byte* buffer, int length)
    {
        if (Tls is { } tls)
        {
            return ReceiveTls(tls, buffer, length);
        }

        while (true)
        {
            var read = (int)Libc.Recv(Fd, buffer, length, 0);
            if (read > 0)
            {
                // A short read drained the socket; the next edge says when there is more (nginx's rule). After the
                // peer's FIN, keep reading: the next read returns the 0 that ends the stream.
                ReadReady = read == length || PeerClosed;
                return read;
            }

            if (read == 0)
            {
                PeerClosed = true;
                return 0;
            }

            var errno = Libc.LastError;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                ReadReady = false;
                return WouldBlock;
            }

            LastErrno = errno;
            return Failed;
        }
    }

    /// <summary>Writes up to two buffers in one call: the count written (possibly less than asked), or <see cref="WouldBlock"/> / <see cref="Failed"/>.</summary>
    public int Send(byte* first, int firstLength, byte* second, int secondLength)
    {
        var vectors = stackalloc Libc.IoVector[2];
        var count = 0;
        if (firstLength > 0)
        {
            vectors[count++] = new Libc.IoVector { Base = first, Length = firstLength };
        }

        if (secondLength > 0)
        {
            vectors[count++] = new Libc.IoVector { Base = second, Length = secondLength };
        }

        if (count == 0)
        {
            return 0;
        }

        if (Tls is { } tls)
        {
            return SendTls(tls, first, firstLength, second, secondLength);
        }

        var message = new Libc.MessageHeader { Vectors = vectors, VectorCount = count };
        while (true)
        {
            var written = (int)Libc.SendMsg(Fd, &message, Libc.MSG_NOSIGNAL);
            if (written >= 0)
            {
                if (written < firstLength + secondLength)
                {
                    WriteReady = false;
                }

                return written;
            }

            var errno = Libc.LastError;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                WriteReady = false;
                return WouldBlock;
            }

            LastErrno = errno;
            return Failed;
        }
    }

    /// <summary>Sends what the socket takes of <paramref name="bytes"/> without waiting; for a last word before closing.</summary>
    public void SendBestEffort(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* pointer = bytes)
        {
            if (Tls is { } tls)
            {
                tls.Write(pointer, bytes.Length, out _);
                return;
            }

            Libc.Send(Fd, pointer, bytes.Length, Libc.MSG_NOSIGNAL);
        }
    }

    /// <summary>Ends the sending side: close_notify first on TLS, then FIN.</summary>
    public void ShutdownSend()
    {
        Tls?.Shutdown();
        Libc.Shutdown(Fd, Libc.SHUT_WR);
    }

    /// <summary>Gives up the TLS session with the descriptor (for a hand-off that keeps decrypting); null on a plain socket.</summary>
    protected TlsSession? DetachTls()
    {
        var tls = Tls;
        Tls = null;
        return tls;
    }

    /// <summary>Removes the socket from its loop and gives up ownership of the descriptor (for a hand-off); returns it.</summary>
    protected int Detach()
    {
        var fd = Fd;
        if (_slot >= 0)
        {
            Loop.Unregister(_slot, fd);
            _slot = -1;
        }

        Fd = -1;
        return fd;
    }

    /// <summary>Removes the socket from its loop and closes it.</summary>
    protected void CloseSocket()
    {
        if (Fd < 0)
        {
            return;
        }

        Tls?.Dispose();
        Tls = null;
        Libc.Close(Detach());
    }

    private IPEndPoint? Address(bool peer)
    {
        var address = stackalloc byte[SocketAddresses.MaxLength];
        var length = SocketAddresses.MaxLength;
        var result = peer ? Libc.GetPeerName(Fd, address, &length) : Libc.GetSockName(Fd, address, &length);
        return result == 0 ? SocketAddresses.Read(new ReadOnlySpan<byte>(address, length)) : null;
    }

    /// <summary>Reads plaintext until the buffer is full or OpenSSL needs the socket again (nginx's loop in <c>ngx_ssl_recv</c>).</summary>
    private int ReceiveTls(TlsSession tls, byte* buffer, int length)
    {
        var total = 0;
        while (total < length)
        {
            switch (tls.Read(buffer + total, length - total, out var count))
            {
                case TlsSession.Status.Done:
                    total += count;
                    continue;
                case TlsSession.Status.WantRead:
                    ReadReady = false;
                    return total > 0 ? total : WouldBlock;
                case TlsSession.Status.WantWrite:
                    // A read that must write first (a TLS 1.3 key update): the next writable edge brings the read back.
                    WriteReady = false;
                    return total > 0 ? total : WouldBlock;
                case TlsSession.Status.Closed:
                    // The next read returns the 0 that ends the stream.
                    PeerClosed = true;
                    return total;
                default:
                    LastErrno = tls.LastErrno != 0 ? tls.LastErrno : Errno.ECONNRESET;
                    return total > 0 ? total : Failed;
            }
        }

        // Full: more may be waiting in OpenSSL or in the socket, and no edge would say so.
        ReadReady = true;
        return total;
    }

    /// <summary>Writes both buffers as records, as far as the socket takes them.</summary>
    private int SendTls(TlsSession tls, byte* first, int firstLength, byte* second, int secondLength)
    {
        var total = 0;
        var status = WriteTls(tls, first, firstLength, ref total);
        if (status == TlsSession.Status.Done)
        {
            status = WriteTls(tls, second, secondLength, ref total);
        }

        switch (status)
        {
            case TlsSession.Status.Done:
                return total;
            case TlsSession.Status.WantWrite:
                WriteReady = false;
                return total > 0 ? total : WouldBlock;
            default:
                // A write that waits for a read is a renegotiation, which the contexts refuse: treated as a failure.
                LastErrno = tls.LastErrno != 0 ? tls.LastErrno : Errno.ECONNRESET;
                return total > 0 ? total : Failed;
        }
    }

    private static TlsSession.Status WriteTls(TlsSession tls, byte* buffer, int length, ref int total)
    {
        var written = 0;
        while (written < length)
        {
            var status = tls.Write(buffer + written, length - written, out var count);
            if (status != TlsSession.Status.Done)
            {
                total += written;
                return status;
            }

            written += count;
        }

        total += written;
        return TlsSession.Status.Done;
    }
}
