using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class IssuedCertificateTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RenewalTime_NinetyDayCertificate_IsDaySixty() =>
        Assert.Equal(Start.AddDays(60), IssuedCertificate.RenewalTime(Start, Start.AddDays(90)));

    [Theory]
    [InlineData(6, 4)]
    [InlineData(7, 4.666666)]
    [InlineData(1, 0.666666)]
    public void RenewalTime_IsTwoThirdsIntoTheLifetime(double lifetimeDays, double expectedDays)
    {
        var renewAt = IssuedCertificate.RenewalTime(Start, Start.AddDays(lifetimeDays));

        Assert.Equal(expectedDays, (renewAt - Start).TotalDays, 5);
        Assert.InRange(renewAt, Start, Start.AddDays(lifetimeDays));
    }

    [Fact]
    public void RenewalTime_OffsetsDoNotMatter_OnlyTheInstants()
    {
        var notBefore = new DateTimeOffset(2025, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)); // midnight UTC

        Assert.Equal(Start.AddDays(60), IssuedCertificate.RenewalTime(notBefore, Start.AddDays(90)));
    }

    [Fact]
    public void RenewalTime_EmptyOrInvertedPeriod_Throws()
    {
        Assert.Throws<ArgumentException>(() => IssuedCertificate.RenewalTime(Start, Start));
        Assert.Throws<ArgumentException>(() => IssuedCertificate.RenewalTime(Start, Start.AddDays(-1)));
    }

    [Fact]
    public void From_ChainAndItsKey_ReadsTheLeafsValidity()
    {
        using var key = SigningRequest.NewCertificateKey();
        var (chain, notBefore, notAfter) = Chain(key);

        var issued = IssuedCertificate.From(chain, key);

        Assert.Equal(notBefore, issued.NotBefore);
        Assert.Equal(notAfter, issued.NotAfter);
        Assert.Equal(IssuedCertificate.RenewalTime(notBefore, notAfter), issued.RenewAt);
        Assert.Equal(chain, issued.ChainPem);
        using var reloaded = ECDsa.Create();
        reloaded.ImportFromPem(issued.PrivateKeyPem);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), reloaded.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void From_ChainOfAnotherKey_IsRefused()
    {
        using var key = SigningRequest.NewCertificateKey();
        using var other = SigningRequest.NewCertificateKey();

        var error = Assert.Throws<AcmeException>(() => IssuedCertificate.From(Chain(other).Pem, key));

        Assert.Contains("unusable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_NoCertificate_IsRefused()
    {
        using var key = SigningRequest.NewCertificateKey();

        Assert.Throws<AcmeException>(() => IssuedCertificate.From("<html>not a chain</html>", key));
    }

    /// <summary>A leaf for <paramref name="key"/> signed by a throwaway issuer, then the issuer: a chain as a CA sends it.</summary>
    private static (string Pem, DateTimeOffset NotBefore, DateTimeOffset NotAfter) Chain(ECDsa key)
    {
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuerRequest = new CertificateRequest("CN=Test Issuer", issuerKey, HashAlgorithmName.SHA256);
        issuerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var issuer = issuerRequest.CreateSelfSigned(Start.AddDays(-1), Start.AddYears(1));
        var notBefore = Start.AddHours(1);
        var notAfter = Start.AddDays(90).AddHours(1);
        using var leaf = new CertificateRequest("CN=a.test", key, HashAlgorithmName.SHA256).Create(issuer, notBefore, notAfter, [1, 2, 3]);
        return (leaf.ExportCertificatePem() + "\n" + issuer.ExportCertificatePem() + "\n", notBefore, notAfter);
    }
}
