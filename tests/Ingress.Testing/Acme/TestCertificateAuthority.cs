using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Testing.Acme;

/// <summary>
/// A throwaway root CA and a server certificate it signed, written as PEM files: Debian's pebble package ships no test
/// certificates (upstream's <c>test/certs/</c> is not in it), so <see cref="PebbleHost"/> makes the TLS certificate
/// pebble serves, for the address it listens on.
/// </summary>
public sealed class TestCertificateAuthority
{
    private TestCertificateAuthority(string rootFile, string certificateFile, string keyFile)
    {
        RootFile = rootFile;
        CertificateFile = certificateFile;
        KeyFile = keyFile;
    }

    /// <summary>The root certificate, PEM.</summary>
    public string RootFile { get; }

    /// <summary>The server certificate for <c>localhost</c> and the server's address (127.0.0.1 unless told), PEM.</summary>
    public string CertificateFile { get; }

    /// <summary>The server certificate's key, PKCS#8 PEM.</summary>
    public string KeyFile { get; }

    /// <summary>
    /// Makes a root and a server certificate for <c>localhost</c> and <paramref name="serverAddress"/> (default
    /// 127.0.0.1) in <paramref name="directory"/>, with file names starting <paramref name="prefix"/>.
    /// </summary>
    public static TestCertificateAuthority Create(string directory, string prefix = "tls", IPAddress? serverAddress = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN=Ingress test root {Guid.NewGuid():N}", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(serverAddress ?? IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var server = serverRequest.Create(root, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(12));

        var authority = new TestCertificateAuthority(
            Path.Combine(directory, prefix + "-root.pem"),
            Path.Combine(directory, prefix + "-cert.pem"),
            Path.Combine(directory, prefix + "-key.pem"));
        File.WriteAllText(authority.RootFile, root.ExportCertificatePem());
        File.WriteAllText(authority.CertificateFile, server.ExportCertificatePem());
        File.WriteAllText(authority.KeyFile, serverKey.ExportPkcs8PrivateKeyPem());
        return authority;
    }
}
