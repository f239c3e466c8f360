using System.Net.Sockets;

namespace Ingress.Gateway.Transport.Native;

/// <summary>
/// What the kernel knows about how far a TCP connection's sent data got: the few fields of Linux's <c>struct tcp_info</c>
/// (<c>getsockopt(IPPROTO_TCP, TCP_INFO)</c>) that tell a peer which stopped acknowledging from one that is slow.
/// </summary>
/// <param name="UnackedSegments"><c>tcpi_unacked</c>: segments sent and not yet acknowledged (zero-window probes are not counted).</param>
/// <param name="MsSinceLastAck"><c>tcpi_last_ack_recv</c>: milliseconds since the peer last acknowledged anything, a probe included.</param>
/// <param name="BytesAcked">
/// <c>tcpi_bytes_acked</c>: bytes the peer acknowledged over the connection's life, the SYN counting as one; null when the
/// kernel does not report it (before Linux 4.1).
/// </param>
internal readonly record struct TcpInfo(uint UnackedSegments, uint MsSinceLastAck, ulong? BytesAcked)
{
    /// <summary>The bytes read: up to and including <c>tcpi_bytes_acked</c> (offset 120).</summary>
    public const int Size = 128;

    private const int UnackedOffset = 24;
    private const int LastAckRecvOffset = 56;
    private const int BytesAckedOffset = 120;

    /// <summary>The data bytes the peer acknowledged (the SYN left out), or null when the kernel does not say.</summary>
    public ulong? DataBytesAcked => BytesAcked is { } acked ? (acked > 0 ? acked - 1 : 0) : null;

    /// <summary>Reads the connection's state from a raw descriptor (the relay's sockets).</summary>
    public static unsafe bool TryRead(int fd, out TcpInfo info)
    {
        var bytes = stackalloc byte[Size];
        var length = Size;
        if (Libc.GetSockOpt(fd, Libc.IPPROTO_TCP, Libc.TCP_INFO, (int*)bytes, &length) != 0)
        {
            info = default;
            return false;
        }

        info = Parse(new ReadOnlySpan<byte>(bytes, length));
        return true;
    }

    /// <summary>Reads the connection's state from a <see cref="Socket"/> (the YARP pipeline's); false once it is closed.</summary>
    public static bool TryRead(Socket socket, out TcpInfo info)
    {
        Span<byte> bytes = stackalloc byte[Size];
        try
        {
            var length = socket.GetRawSocketOption(Libc.IPPROTO_TCP, Libc.TCP_INFO, bytes);
            info = Parse(bytes[..length]);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            info = default;
            return false;
        }
    }

    /// <summary>Decodes the start of a <c>struct tcp_info</c> (native byte order, as the kernel wrote it).</summary>
    internal static TcpInfo Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < LastAckRecvOffset + sizeof(uint))
        {
            // Not expected on any Linux the relay runs on; nothing outstanding means nothing is ever judged silent.
            return default;
        }

        var unacked = BitConverter.ToUInt32(bytes[UnackedOffset..]);
        var sinceAck = BitConverter.ToUInt32(bytes[LastAckRecvOffset..]);
        ulong? acked = bytes.Length >= BytesAckedOffset + sizeof(ulong) ? BitConverter.ToUInt64(bytes[BytesAckedOffset..]) : null;
        return new TcpInfo(unacked, sinceAck, acked);
    }
}
