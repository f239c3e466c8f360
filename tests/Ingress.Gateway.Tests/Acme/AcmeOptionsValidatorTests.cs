using Ingress.Gateway.Acme;
using Ingress.Testing.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class AcmeOptionsValidatorTests
{
    private static AcmeOptions Valid() => new() { DirectoryUrl = "https://acme.test/directory", AcceptTermsOfService = true };

    [Fact]
    public void Validate_DirectoryAndTermsAccepted_Succeeds() =>
        Assert.True(new AcmeOptionsValidator().Validate(null, Valid()).Succeeded);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("acme.test/directory")]
    [InlineData("http://acme.test/directory")]
    public void Validate_DirectoryNotAnHttpsUrl_FailsNamingTheKey(string? url)
    {
        var options = Valid();
        options.DirectoryUrl = url;

        var failure = Assert.Single(new AcmeOptionsValidator().Validate(null, options).Failures!);

        Assert.Equal($"Ingress:Acme:DirectoryUrl = '{url}' must be an absolute https:// URL.", failure);
    }

    [Fact]
    public void Validate_TermsNotAccepted_Fails()
    {
        var options = Valid();
        options.AcceptTermsOfService = false;

        Assert.StartsWith("Ingress:Acme:AcceptTermsOfService must be true", Assert.Single(new AcmeOptionsValidator().Validate(null, options).Failures!));
    }

    [Fact]
    public void Validate_TrustedRootFileMissingOrWithoutCertificate_FailsSayingWhy()
    {
        var empty = Path.GetTempFileName();
        try
        {
            var options = Valid();
            options.TrustedRootFile = "/nonexistent/root.pem";
            Assert.Contains("cannot read the root certificates in /nonexistent/root.pem", Assert.Single(new AcmeOptionsValidator().Validate(null, options).Failures!));

            options.TrustedRootFile = empty;
            Assert.Contains("holds no PEM certificate", Assert.Single(new AcmeOptionsValidator().Validate(null, options).Failures!));
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public void Validate_TrustedRootFileWithACertificate_Succeeds()
    {
        var directory = Directory.CreateTempSubdirectory("ingress-acme-");
        try
        {
            var options = Valid();
            options.TrustedRootFile = TestCertificateAuthority.Create(directory.FullName).RootFile;

            Assert.True(new AcmeOptionsValidator().Validate(null, options).Succeeded);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Validate_BadTimingsRetriesAndContacts_ListsEveryFailure()
    {
        var options = Valid();
        options.PollInterval = TimeSpan.FromMinutes(1);
        options.MaxPollInterval = TimeSpan.FromSeconds(30);
        options.PollTimeout = TimeSpan.Zero;
        options.RequestTimeout = TimeSpan.FromHours(2);
        options.BadNonceRetries = 21;
        options.Contacts = ["ops@example.com"];

        var failures = new AcmeOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(5, failures.Count);
        Assert.Contains("Ingress:Acme:Contacts: 'ops@example.com' is not a URL (write mailto:name@example.com).", failures);
        Assert.Contains("Ingress:Acme:PollTimeout = 00:00:00 must be positive and at most 01:00:00.", failures);
        Assert.Contains("Ingress:Acme:RequestTimeout = 02:00:00 must be positive and at most 01:00:00.", failures);
        Assert.Contains("Ingress:Acme:PollInterval = 00:01:00 is longer than MaxPollInterval = 00:00:30.", failures);
        Assert.Contains("Ingress:Acme:BadNonceRetries = 21 must be 0-20.", failures);
    }
}
