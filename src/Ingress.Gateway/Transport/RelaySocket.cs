using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Transport;

/// <summary>
/// A non-blocking TCP socket registered edge-triggered with one <see cref="EventLoop"/>, and what is known about its
/// readiness. With edge-triggered epoll the kernel reports a change once, so the flags remember it until a read or
/// write finds the socket drained or full.
/// </summary>
internal abstract unsafe class RelaySocket : ILoopHandler
{
    /// <summary>A read or write found nothing to do: the socket is drained (or full) until the next event.</summary>
    public const int WouldBlock = -1;

    /// <summary>The read or write failed; <see cref="LastErrno"/> says why.</summary>
    public const int Failed = -2;

    private int _slot = -1;

    protected RelaySocket(EventLoop loop, int fd)
    {
        Loop = loop;
        Fd = fd;
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
            Libc.Send(Fd, pointer, bytes.Length, Libc.MSG_NOSIGNAL);
        }
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

        Libc.Close(Detach());
    }
}
