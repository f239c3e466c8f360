using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Gateway.Tests.Tls;

/// <summary>
/// A test CA and the leaf certificates it signs, written as PEM files into a temporary folder the way swarm mounts
/// secrets under <c>/run/secrets</c>; clients trust this CA only.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    public TestCertificates()
    {
        Folder = Directory.CreateTempSubdirectory("ingress-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Ingress Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddDays(365));
    }

    /// <summary>The folder the gateway reads (Ingress:Tls:CertificatesPath).</summary>
    public string Folder { get; }

    /// <summary>The test CA, with its key.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>A leaf certificate for <paramref name="names"/> and its PEM certificate and key.</summary>
    public (X509Certificate2 Certificate, string CertificatePem, string KeyPem) Issue(
        string[] names, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        var certificate = request.Create(
            Authority, notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(12));
        return (certificate, certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Writes a certificate and its key into one file, <paramref name="file"/>.</summary>
    public X509Certificate2 WriteCombined(string file, params string[] names)
    {
        var (certificate, pem, key) = Issue(names);
        Write(file, pem + "\n" + key);
        return certificate;
    }

    /// <summary>Writes the certificate to <paramref name="file"/> and its key beside it, as <c>name.key</c>.</summary>
    public X509Certificate2 WriteSeparate(string file, params string[] names)
    {
        var (certificate, pem, key) = Issue(names);
        Write(file, pem);
        Write(Path.ChangeExtension(file, ".key"), key);
        return certificate;
    }

    public void Write(string file, string content) => File.WriteAllText(Path.Combine(Folder, file), content);

    /// <summary>A validation callback that trusts the test CA alone and requires the name to match.</summary>
    public bool Validate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    public void Dispose()
    {
        Authority.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
