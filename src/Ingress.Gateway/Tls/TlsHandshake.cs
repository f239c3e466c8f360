using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Ingress.Gateway.Tls;

/// <summary>
/// The server side of a TLS handshake on a TLS entry port: the certificate chosen by SNI from the
/// <see cref="CertificateStore"/>, TLS 1.2 and 1.3 only, modern cipher suites, and HTTP/2 or HTTP/1.1 through ALPN.
/// </summary>
/// <remarks>
/// This is the handshake of TLS ports when the relay is off; with the relay on, <see cref="RelayTlsContexts"/> serves
/// the same certificates and suites (<see cref="TlsSuites"/>) from the relay's loops. A cipher-suite policy is
/// supported on Linux and macOS; elsewhere the operating system's defaults apply.
/// Certificates are loaded with an ephemeral private key (<c>X509Certificate2.CreateFromPem</c>), which SslStream uses
/// as is on Linux (Windows' SChannel would need it exported to a key store first; the gateway runs on Linux).
/// </remarks>
internal sealed class TlsHandshake(CertificateStore store)
{
    /// <summary>TLS 1.2 and 1.3; SSL 3, TLS 1.0 and 1.1 are refused.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private static readonly List<SslApplicationProtocol> s_alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    private static readonly CipherSuitesPolicy? s_cipherSuites = OperatingSystem.IsWindows() ? null : new CipherSuitesPolicy(TlsSuites.All);

    /// <summary>Kestrel's per-connection TLS options for <c>ListenOptions.UseHttps</c>.</summary>
    public TlsHandshakeCallbackOptions Options => new() { OnConnection = SelectAsync };

    private ValueTask<SslServerAuthenticationOptions> SelectAsync(TlsHandshakeCallbackContext context)
    {
        // No certificate at all: the handshake fails (Kestrel closes the connection), which is all a client can be told.
        var certificate = store.Current.Select(context.ClientHelloInfo.ServerName)
            ?? throw new AuthenticationException("No TLS certificate is loaded.");
        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = Protocols,
            CipherSuitesPolicy = s_cipherSuites,
            ApplicationProtocols = s_alpn,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        });
    }
}
