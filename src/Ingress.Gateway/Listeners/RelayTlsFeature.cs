using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Transport.Tls;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// The TLS features of a connection whose TLS the relay terminated, as Kestrel's own TLS middleware sets them: the
/// request's scheme is https, HTTP/2 is chosen by the ALPN result, and the handshake's protocol, suite and SNI name
/// are there for whoever asks. The gateway asks for no client certificate.
/// </summary>
internal sealed class RelayTlsFeature(TlsConnectionInfo tls) : ITlsConnectionFeature, ITlsApplicationProtocolFeature, ITlsHandshakeFeature
{
    public X509Certificate2? ClientCertificate { get; set; }

    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = tls.ApplicationProtocol;

    public SslProtocols Protocol => tls.Protocol;

    public TlsCipherSuite? NegotiatedCipherSuite => tls.CipherSuite;

    public string HostName => tls.ServerName ?? "";

#pragma warning disable SYSLIB0058 // The algorithm properties are obsolete; the suite above says it all, as in SslStream.
    CipherAlgorithmType ITlsHandshakeFeature.CipherAlgorithm => CipherAlgorithmType.None;

    int ITlsHandshakeFeature.CipherStrength => 0;

    HashAlgorithmType ITlsHandshakeFeature.HashAlgorithm => HashAlgorithmType.None;

    int ITlsHandshakeFeature.HashStrength => 0;

    ExchangeAlgorithmType ITlsHandshakeFeature.KeyExchangeAlgorithm => ExchangeAlgorithmType.None;

    int ITlsHandshakeFeature.KeyExchangeStrength => 0;
#pragma warning restore SYSLIB0058

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
}
