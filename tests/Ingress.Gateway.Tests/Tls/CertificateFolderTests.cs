using Ingress.Gateway.Tls;

namespace Ingress.Gateway.Tests.Tls;

public sealed class CertificateFolderTests
{
    [Fact]
    public void Load_ExactAndWildcard_ExactBeatsWildcard_AndWildcardMatchesOneLabel()
    {
        using var certificates = new TestCertificates();
        var exact = certificates.WriteCombined("api.pem", "api.example.test");
        var wildcard = certificates.WriteSeparate("wildcard.crt", "*.example.test");

        var index = CertificateFolder.Load(certificates.Folder, null, DateTimeOffset.UtcNow);

        Assert.Empty(index.Errors);
        Assert.Equal(exact.Thumbprint, Thumbprint(index.Select("api.example.test")));
        Assert.Equal(exact.Thumbprint, Thumbprint(index.Select("API.Example.Test.")));
        Assert.Equal(wildcard.Thumbprint, Thumbprint(index.Select("www.example.test")));

        // *.example.test covers neither example.test nor a.b.example.test: those get the default (the first file by name).
        Assert.Equal("api.pem", index.Select("example.test")?.File);
        Assert.Equal("api.pem", index.Select("a.b.example.test")?.File);
        Assert.Equal("api.pem", index.Select(null)?.File);
    }

    [Fact]
    public void Load_TwoCertificatesForOneName_ServesTheOneThatExpiresLast()
    {
        using var certificates = new TestCertificates();
        var (_, soonPem, soonKey) = certificates.Issue(["shop.test"], notAfter: DateTimeOffset.UtcNow.AddDays(5));
        var (later, laterPem, laterKey) = certificates.Issue(["shop.test"], notAfter: DateTimeOffset.UtcNow.AddDays(60));
        certificates.Write("a-soon.pem", soonPem + "\n" + soonKey);
        certificates.Write("b-later.pem", laterPem + "\n" + laterKey);

        var index = CertificateFolder.Load(certificates.Folder, null, DateTimeOffset.UtcNow);

        Assert.Equal(later.Thumbprint, Thumbprint(index.Select("shop.test")));
    }

    [Fact]
    public void Load_BadFiles_EachGetsAClearReason_AndTheGoodOnesAreServed()
    {
        using var certificates = new TestCertificates();
        var good = certificates.WriteCombined("good.pem", "good.test");
        var (_, expiredPem, expiredKey) = certificates.Issue(["old.test"], DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        certificates.Write("expired.pem", expiredPem + "\n" + expiredKey);
        var (_, futurePem, futureKey) = certificates.Issue(["future.test"], DateTimeOffset.UtcNow.AddDays(2), DateTimeOffset.UtcNow.AddDays(30));
        certificates.Write("future.pem", futurePem + "\n" + futureKey);
        var (_, mismatchPem, _) = certificates.Issue(["mismatch.test"]);
        var (_, _, otherKey) = certificates.Issue(["other.test"]);
        certificates.Write("mismatch.pem", mismatchPem + "\n" + otherKey);
        certificates.Write("garbage.pem", "this is not a certificate");
        certificates.Write("truncated.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        var (_, lonelyPem, _) = certificates.Issue(["lonely.test"]);
        certificates.Write("lonely.crt", lonelyPem);
        certificates.Write("db_password", "hunter2");

        var index = CertificateFolder.Load(certificates.Folder, null, DateTimeOffset.UtcNow);

        Assert.Equal(["good.pem"], index.Certificates.Select(c => c.File));
        Assert.Equal(good.Thumbprint, Thumbprint(index.Select("old.test")));
        var reasons = index.Errors.ToDictionary(e => e.File, e => e.Reason);
        Assert.StartsWith("expired on ", reasons["expired.pem"]);
        Assert.Contains("old.test", reasons["expired.pem"]);
        Assert.StartsWith("is not valid before ", reasons["future.pem"]);
        Assert.Equal("has a private key (mismatch.pem) that does not match its certificate.", reasons["mismatch.pem"]);
        Assert.Equal("holds no PEM certificate (-----BEGIN CERTIFICATE-----).", reasons["garbage.pem"]);
        Assert.StartsWith("has no private key", reasons["lonely.crt"]);
        Assert.Contains("lonely.key", reasons["lonely.crt"]);
        Assert.True(reasons.ContainsKey("truncated.crt"));

        // Other secrets in the folder are not certificates and not errors.
        Assert.False(reasons.ContainsKey("db_password"));
        Assert.Equal(6, index.Errors.Count);
    }

    [Fact]
    public void Load_ConfiguredDefault_IsServedWithoutSniAndForUnknownNames()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("a.pem", "a.test");
        var fallback = certificates.WriteCombined("z-default.pem", "default.test");

        var index = CertificateFolder.Load(certificates.Folder, "z-default.pem", DateTimeOffset.UtcNow);

        Assert.Equal(fallback.Thumbprint, Thumbprint(index.Select(null)));
        Assert.Equal(fallback.Thumbprint, Thumbprint(index.Select("unknown.test")));
        Assert.Equal("a.pem", index.Select("a.test")?.File);
    }

    [Fact]
    public void Load_ConfiguredDefaultMissing_IsAnError_AndTheFirstCertificateIsTheDefault()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("a.pem", "a.test");

        var index = CertificateFolder.Load(certificates.Folder, "missing.pem", DateTimeOffset.UtcNow);

        Assert.Equal("a.pem", index.Default?.File);
        Assert.Contains(index.Errors, e => e.File == "missing.pem" && e.Reason.Contains("default", StringComparison.Ordinal));
    }

    [Fact]
    public void Fingerprint_ChangesWhenAFileIsAdded()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("a.pem", "a.test");
        var before = CertificateFolder.Fingerprint(certificates.Folder);

        certificates.WriteCombined("b.pem", "b.test");

        Assert.NotEqual(before, CertificateFolder.Fingerprint(certificates.Folder));
    }

    private static string? Thumbprint(ServerCertificate? certificate) => certificate?.Thumbprint;
}
