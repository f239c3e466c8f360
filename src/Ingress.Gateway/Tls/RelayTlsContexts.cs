using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Transport.Tls;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Tls;

/// <summary>
/// The relay's OpenSSL server contexts for the certificates of the <see cref="CertificateStore"/>: one per certificate,
/// made on its first handshake and kept for as long as the certificate is served, so every handshake with it shares
/// one context (and its session cache). SNI picks among them as <see cref="CertificateIndex.Select"/> says.
/// </summary>
/// <remarks>
/// A certificate whose key OpenSSL cannot take is logged once and refused like a missing one; the others are served.
/// The private key passes through managed memory once, as PKCS #8, and is cleared right after OpenSSL has read it.
/// </remarks>
internal sealed partial class RelayTlsContexts(CertificateStore store, IOptions<TlsOptions> options, ILogger<RelayTlsContexts> logger) : ITlsContextSelector
{
    private readonly ConditionalWeakTable<ServerCertificate, Made> _contexts = [];
    private readonly TlsContextOptions _options = new(TlsSuites.OpenSslTls12, TlsSuites.OpenSslTls13, options.Value.SessionResumption);

    public TlsContext? Default => For(store.Current.Default);

    public TlsContext? Select(string serverName) => For(store.Current.Select(serverName));

    private TlsContext? For(ServerCertificate? certificate)
    {
        if (certificate is null)
        {
            return null;
        }

        // Every handshake asks: the made context is found without allocating; only the first one for a certificate makes it.
        return _contexts.TryGetValue(certificate, out var made) ? made.Context : _contexts.GetValue(certificate, Make).Context;
    }

    private Made Make(ServerCertificate certificate)
    {
        var target = certificate.Context.TargetCertificate;
        byte[]? key = null;
        try
        {
            key = ExportKey(target);
            var chain = certificate.Context.IntermediateCertificates.Select(c => c.RawData).ToList();
            return new Made(TlsContext.Create(_options, target.RawData, chain, key, this));
        }
        catch (Exception ex) when (ex is InvalidOperationException or CryptographicException or NotSupportedException)
        {
            LogNotServed(certificate.File, ex.Message);
            return new Made(null);
        }
        finally
        {
            if (key is not null)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private static byte[] ExportKey(X509Certificate2 certificate)
    {
        using var ecdsa = certificate.GetECDsaPrivateKey();
        if (ecdsa is not null)
        {
            return ecdsa.ExportPkcs8PrivateKey();
        }

        using var rsa = certificate.GetRSAPrivateKey();
        return rsa?.ExportPkcs8PrivateKey() ?? throw new NotSupportedException("its key is neither ECDSA nor RSA");
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "TLS certificate {File} is not served by the relay: {Reason}")]
    private partial void LogNotServed(string file, string reason);

    /// <summary>A certificate's context, or null when it could not be made (remembered, so it is logged once).</summary>
    private sealed record Made(TlsContext? Context);
}
