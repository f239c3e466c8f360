using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Gateway.Acme;

/// <summary>What an issuance yields: the chain and the certificate's key, both PEM, and the leaf's validity period.</summary>
/// <param name="ChainPem">The certificate chain, the end-entity certificate first, as the certificate authority sent it.</param>
/// <param name="PrivateKeyPem">The certificate's private key, PKCS#8 PEM.</param>
/// <param name="NotBefore">The start of the leaf's validity.</param>
/// <param name="NotAfter">The end of the leaf's validity.</param>
internal sealed record IssuedCertificate(string ChainPem, string PrivateKeyPem, DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    /// <summary>When to renew this certificate: see <see cref="RenewalTime"/>.</summary>
    public DateTimeOffset RenewAt => RenewalTime(NotBefore, NotAfter);

    /// <summary>
    /// The time to renew a certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>: two
    /// thirds into its lifetime (day 60 of a 90-day certificate), which leaves a third of it for failed attempts.
    /// </summary>
    public static DateTimeOffset RenewalTime(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (notAfter <= notBefore)
        {
            throw new ArgumentException($"the validity period {notBefore:O} - {notAfter:O} is empty.", nameof(notAfter));
        }

        return notBefore + (notAfter - notBefore) * 2 / 3;
    }

    /// <summary>
    /// The result for a downloaded chain and the key the request was made with; throws <see cref="AcmeException"/> when
    /// the chain does not parse or its first certificate is not for that key.
    /// </summary>
    public static IssuedCertificate From(string chainPem, ECDsa certificateKey)
    {
        ArgumentNullException.ThrowIfNull(chainPem);
        ArgumentNullException.ThrowIfNull(certificateKey);
        var keyPem = certificateKey.ExportPkcs8PrivateKeyPem();
        X509Certificate2 leaf;
        try
        {
            // Reads the first certificate of the chain, and refuses a key that is not the certificate's.
            leaf = X509Certificate2.CreateFromPem(chainPem, keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new AcmeException($"the downloaded certificate chain is unusable: {ex.Message}", null, null);
        }

        using (leaf)
        {
            return new IssuedCertificate(chainPem, keyPem, new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
        }
    }
}
