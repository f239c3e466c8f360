using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ingress.Gateway.Tests.Tls;

/// <summary>
/// A hand-made TLS ClientHello, so that a test can offer an old protocol version whatever the local OpenSSL's client
/// policy allows (Debian's refuses to even offer TLS 1.0/1.1, so an SslStream client proves nothing about the server).
/// </summary>
internal static class RawClientHello
{
    /// <summary>Sends a ClientHello offering at most <paramref name="version"/> (0x0302: TLS 1.1, 0x0303: TLS 1.2) and returns the first byte of the answer's record (0x16 handshake, 0x15 alert), or -1 when the server closed without one.</summary>
    public static async Task<int> FirstRecordTypeAsync(int port, ushort version, string serverName)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Build(version, serverName));
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await stream.ReadAsync(buffer, timeout.Token) == 1 ? buffer[0] : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static byte[] Build(ushort version, string serverName)
    {
        var name = Encoding.ASCII.GetBytes(serverName);
        var extensions = new List<byte>();
        Extension(extensions, 0x0000, [.. U16(name.Length + 3), 0, .. U16(name.Length), .. name]);     // server_name
        Extension(extensions, 0x000a, [.. U16(4), 0x00, 0x1d, 0x00, 0x17]);                           // supported_groups: x25519, P-256
        Extension(extensions, 0x000b, [1, 0]);                                                        // ec_point_formats: uncompressed
        Extension(extensions, 0x000d, [.. U16(6), 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]);               // signature_algorithms
        ushort[] suites = version >= 0x0303
            ? [0xc02b, 0xc02f]                                                                         // ECDHE-ECDSA/RSA-AES128-GCM-SHA256
            : [0xc009, 0xc013, 0x002f];                                                                // ECDHE-ECDSA/RSA-AES128-SHA, AES128-SHA

        var body = new List<byte>();
        body.AddRange(U16(version));
        body.AddRange(new byte[32]);                                                                   // random
        body.Add(0);                                                                                   // no session id
        body.AddRange(U16(suites.Length * 2));
        foreach (var suite in suites)
        {
            body.AddRange(U16(suite));
        }

        body.AddRange([1, 0]);                                                                         // null compression
        body.AddRange(U16(extensions.Count));
        body.AddRange(extensions);

        List<byte> handshake = [1, 0, .. U16(body.Count), .. body];                                    // ClientHello, 24-bit length
        return [0x16, 0x03, 0x01, .. U16(handshake.Count), .. handshake];
    }

    private static void Extension(List<byte> into, int type, byte[] data)
    {
        into.AddRange(U16(type));
        into.AddRange(U16(data.Length));
        into.AddRange(data);
    }

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];
}
