using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Gateway.Tests.Tls;

/// <summary>Real TLS clients of a gateway's TLS port on loopback: a bare handshake with a chosen SNI, and an HttpClient.</summary>
internal static class TlsClient
{
    /// <summary>What a handshake gave.</summary>
    public sealed record Handshake(X509Certificate2 Certificate, SslApplicationProtocol Protocol, SslProtocols Version);

    /// <summary>Handshakes with <paramref name="serverName"/> as SNI (null: none sent) and returns what the server chose.</summary>
    public static async Task<Handshake> HandshakeAsync(
        int port, string? serverName, SslProtocols protocols = SslProtocols.None, List<SslApplicationProtocol>? alpn = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await tls.AuthenticateAsClientAsync(Options(serverName, protocols, alpn), timeout.Token);
        return new Handshake(new X509Certificate2(tls.RemoteCertificate!), tls.NegotiatedApplicationProtocol, tls.SslProtocol);
    }

    /// <summary>
    /// Client options that send <paramref name="serverName"/> as SNI (null: none) and accept any certificate: the tests
    /// that use them check the certificate they got themselves.
    /// </summary>
    public static SslClientAuthenticationOptions Options(
        string? serverName, SslProtocols protocols = SslProtocols.None, List<SslApplicationProtocol>? alpn = null) => new()
    {
        // An IP address as the target host sends no SNI, as a client that connects by address does.
        TargetHost = serverName ?? "127.0.0.1",
        EnabledSslProtocols = protocols,
        ApplicationProtocols = alpn,
        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
    };

    /// <summary>An HttpClient that sends every request for <c>https://name:port/</c> to the gateway's loopback port, trusting only the test CA.</summary>
    public static HttpClient HttpClient(TestCertificates certificates, int port, Version version) =>
        new(Handler(certificates, port))
        {
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>
    /// An HttpClient for <c>http://</c> and <c>https://</c> URLs whose names all stand for loopback (each request goes to
    /// 127.0.0.1 at the URL's port), trusting only the test CA: it can follow a redirect from a gateway's plain entry port
    /// to its TLS port, as a browser would.
    /// </summary>
    public static HttpClient LoopbackClient(TestCertificates certificates, bool followRedirects)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = followRedirects,
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificates.Validate(certificate, errors) },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>
    /// The handler under <see cref="HttpClient(TestCertificates, int, Version)"/>, for clients that bring their own (a gRPC
    /// channel): connects to the gateway's loopback <paramref name="port"/> whatever the URI's host (which stays the SNI
    /// for <c>https</c>; an <c>http</c> URI gets cleartext), trusts only the test CA, and calls <paramref name="connected"/>
    /// for each TCP connection it opens.
    /// </summary>
    public static SocketsHttpHandler Handler(TestCertificates certificates, int port, Action? connected = null) => new()
    {
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port, token);
            connected?.Invoke();
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificates.Validate(certificate, errors) },
    };
}
