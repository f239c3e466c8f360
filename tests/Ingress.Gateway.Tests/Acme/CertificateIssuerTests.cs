using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class CertificateIssuerTests
{
    [Fact]
    public void Normalize_CaseTrailingDotsAndRepeats_GivesEachNameOnceInLowerCase() =>
        Assert.Equal(["www.example.test", "example.test"], CertificateIssuer.Normalize(["WWW.Example.test.", " example.test", "www.example.test"]));

    [Theory]
    [InlineData("*.example.test")]
    [InlineData("127.0.0.1")]
    [InlineData("exa mple.test")]
    [InlineData("")]
    public void Normalize_NameHttp01CannotValidate_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => CertificateIssuer.Normalize([name]));

    [Fact]
    public void Normalize_NoName_Throws() =>
        Assert.Throws<ArgumentException>(() => CertificateIssuer.Normalize([]));
}
