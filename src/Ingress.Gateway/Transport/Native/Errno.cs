using System.Net.Sockets;

namespace Ingress.Gateway.Transport.Native;

/// <summary>
/// The <see cref="SocketError"/> .NET's own sockets report for a Linux errno, for the errnos a connect, send or receive
/// fails with, so that a failure on the relay's sockets reads the same as one on <see cref="Socket"/>.
/// </summary>
internal static class Errno
{
    public const int EPIPE = 32;
    public const int ENETUNREACH = 101;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;

    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        Libc.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        Libc.EADDRINUSE => SocketError.AddressAlreadyInUse,
        Libc.EMFILE or Libc.ENFILE => SocketError.TooManyOpenSockets,
        Libc.ENOBUFS or Libc.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Libc.EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
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
