using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Tests.Transport;

/// <summary>
/// A connected loopback TCP pair as the relay has one: a raw non-blocking descriptor made with the relay's own libc calls
/// (<see cref="Fd"/>), and a managed socket for the test to play the peer with (<see cref="Peer"/>).
/// </summary>
internal sealed class RawLoopbackPair : IDisposable
{
    /// <summary><c>SOL_SOCKET</c> option the relay never sets: a small send buffer makes a peer that does not read felt at once.</summary>
    private const int SO_SNDBUF = 7;

    private RawLoopbackPair(int fd, Socket peer)
    {
        Fd = fd;
        Peer = peer;
    }

    /// <summary>The relay's side; closed by <see cref="Dispose"/> unless <see cref="Release"/>d to an owner that closes it.</summary>
    public int Fd { get; private set; }

    public Socket Peer { get; }

    /// <param name="peerReceiveBuffer">The peer's receive buffer (set before the handshake, so the window follows it).</param>
    /// <param name="sendBuffer">The raw side's send buffer.</param>
    public static async Task<RawLoopbackPair> ConnectAsync(int? peerReceiveBuffer = null, int? sendBuffer = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (peerReceiveBuffer is { } receive)
        {
            listener.ReceiveBufferSize = receive;
        }

        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var fd = StartConnect((IPEndPoint)listener.LocalEndPoint!, sendBuffer);
        try
        {
            var peer = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
            peer.NoDelay = true;
            return new RawLoopbackPair(fd, peer);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    /// <summary>Hands the descriptor to an owner that closes it (a <c>RelaySocket</c>); <see cref="Dispose"/> leaves it alone.</summary>
    public int Release()
    {
        var fd = Fd;
        Fd = -1;
        return fd;
    }

    public void Dispose()
    {
        Peer.Dispose();
        if (Fd >= 0)
        {
            Libc.Close(Fd);
            Fd = -1;
        }
    }

    private static unsafe int StartConnect(IPEndPoint endPoint, int? sendBuffer)
    {
        var fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        Assert.True(fd >= 0, $"socket() failed (errno {Libc.LastError})");
        if (sendBuffer is { } size)
        {
            Libc.SetSockOpt(fd, Libc.SOL_SOCKET, SO_SNDBUF, &size, sizeof(int));
        }

        var address = stackalloc byte[SocketAddresses.MaxLength];
        var length = SocketAddresses.Write(endPoint, new Span<byte>(address, SocketAddresses.MaxLength));
        if (Libc.Connect(fd, address, length) != 0 && Libc.LastError != Errno.EINPROGRESS)
        {
            var errno = Libc.LastError;
            Libc.Close(fd);
            Assert.Fail($"connect() failed (errno {errno})");
        }

        return fd;
    }
}
