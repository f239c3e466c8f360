using System.Net.Sockets;

namespace Ingress.Gateway.Transport.Native;

/// <summary>
/// The Linux errno values the transport acts on, all in one place, and the <see cref="SocketError"/> .NET's own sockets
/// report for each a connect, send or receive fails with, so that a failure on the relay's sockets reads the same as
/// one on <see cref="Socket"/>.
/// </summary>
internal static class Errno
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETUNREACH = 101;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int EINPROGRESS = 115;

    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        EADDRINUSE => SocketError.AddressAlreadyInUse,
        EMFILE or ENFILE => SocketError.TooManyOpenSockets,
        ENOBUFS or ENOMEM => SocketError.NoBufferSpaceAvailable,
        EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        EPIPE => SocketError.Shutdown,
        ENETUNREACH => SocketError.NetworkUnreachable,
        ECONNABORTED => SocketError.ConnectionAborted,
        ECONNRESET => SocketError.ConnectionReset,
        ETIMEDOUT => SocketError.TimedOut,
        ECONNREFUSED => SocketError.ConnectionRefused,
        EHOSTUNREACH => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };
}
