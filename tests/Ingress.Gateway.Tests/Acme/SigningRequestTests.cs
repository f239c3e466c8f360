using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class SigningRequestTests
{
    [Fact]
    public void Create_TwoNames_IsASignedRequestOfThatKeyWithBothNamesAsSans()
    {
        using var key = SigningRequest.NewCertificateKey();

        var der = SigningRequest.Create(key, ["a.ingress.test", "b.ingress.test"]);

        // Loading checks the request's signature (with the public key it carries).
        var request = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal("CN=a.ingress.test", request.SubjectName.Name);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), request.PublicKey.ExportSubjectPublicKeyInfo());
        var sans = request.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["a.ingress.test", "b.ingress.test"], sans.EnumerateDnsNames());
    }

    [Fact]
    public void NewCertificateKey_IsAFreshP256KeyEachTime()
    {
        using var first = SigningRequest.NewCertificateKey();
        using var second = SigningRequest.NewCertificateKey();

        Assert.Equal(256, first.KeySize);
        Assert.Equal(ECCurve.NamedCurves.nistP256.Oid.Value, first.ExportParameters(false).Curve.Oid.Value);
        Assert.NotEqual(first.ExportSubjectPublicKeyInfo(), second.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Create_NoName_Throws()
    {
        using var key = SigningRequest.NewCertificateKey();

        Assert.Throws<ArgumentException>(() => SigningRequest.Create(key, []));
    }
}
