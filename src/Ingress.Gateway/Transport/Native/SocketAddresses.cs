using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ingress.Gateway.Transport.Native;

/// <summary>Converts between <see cref="IPEndPoint"/> and Linux's <c>sockaddr_in</c> / <c>sockaddr_in6</c>.</summary>
internal static class SocketAddresses
{
    /// <summary>Room for any address the relay uses (<c>sizeof(struct sockaddr_in6)</c> is 28).</summary>
    public const int MaxLength = 32;

    /// <summary>Encodes <paramref name="endPoint"/>; returns the sockaddr's length.</summary>
    public static int Write(IPEndPoint endPoint, Span<byte> target)
    {
        target[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(target[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(target, (ushort)Libc.AF_INET);
            endPoint.Address.TryWriteBytes(target[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(target, (ushort)Libc.AF_INET6);
        endPoint.Address.TryWriteBytes(target[8..24], out _);
        BitConverter.TryWriteBytes(target[24..], (uint)endPoint.Address.ScopeId);
        return 28;
    }

    /// <summary>Decodes a sockaddr the kernel filled in (<c>accept4</c>); null for a family other than IPv4 or IPv6.</summary>
    public static IPEndPoint? Read(ReadOnlySpan<byte> source)
    {
        var family = BitConverter.ToUInt16(source);
        var port = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        return family switch
        {
            Libc.AF_INET => new IPEndPoint(new IPAddress(source[4..8]), port),
            Libc.AF_INET6 => new IPEndPoint(new IPAddress(source[8..24], BitConverter.ToUInt32(source[24..])), port),
            _ => null,
        };
    }
}
