using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Gateway.Acme;

/// <summary>The PKCS#10 certificate request an order is finalized with: one certificate key, the order's names as SANs.</summary>
internal static class SigningRequest
{
    /// <summary>A new ECDSA P-256 key for one certificate; never the account key (RFC 8555 §11.1).</summary>
    public static ECDsa NewCertificateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>
    /// The DER of a request signed by <paramref name="certificateKey"/> for <paramref name="dnsNames"/>: each name is a
    /// subjectAltName, the first is also the common name (certificate authorities take the SANs; the CN is for old tools).
    /// </summary>
    public static byte[] Create(ECDsa certificateKey, IReadOnlyList<string> dnsNames)
    {
        ArgumentNullException.ThrowIfNull(certificateKey);
        if (dnsNames.Count == 0)
        {
            throw new ArgumentException("a certificate needs at least one name.", nameof(dnsNames));
        }

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(dnsNames[0]);
        var request = new CertificateRequest(subject.Build(), certificateKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        return request.CreateSigningRequest();
    }
}
