using Ingress.Hostname.Configuration;

namespace Ingress.Hostname.Tests.Configuration;

public sealed class HostnameOptionsValidatorTests
{
    private readonly HostnameOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var options = new HostnameOptions();

        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.Equal(Environment.MachineName, options.Name);
        Assert.True(options.LogRequests);
        Assert.Equal(TimeSpan.FromSeconds(5), options.DrainDelay);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("two\nlines")]
    [InlineData("tab\there")]
    public void Validate_UnusableName_FailsNamingKey(string name)
    {
        var result = _validator.Validate(null, new HostnameOptions { Name = name });

        Assert.True(result.Failed);
        Assert.Contains("Hostname:Name", result.FailureMessage);
    }

    [Fact]
    public void Validate_NameLongerThanDnsAllows_FailsNamingKey()
    {
        var result = _validator.Validate(null, new HostnameOptions { Name = new string('a', HostnameOptionsValidator.MaxNameLength + 1) });

        Assert.True(result.Failed);
        Assert.Contains("Hostname:Name", result.FailureMessage);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(601)]
    public void Validate_DrainDelayOutOfRange_FailsNamingKey(int seconds)
    {
        var result = _validator.Validate(null, new HostnameOptions { DrainDelay = TimeSpan.FromSeconds(seconds) });

        Assert.True(result.Failed);
        Assert.Contains("Hostname:DrainDelay", result.FailureMessage);
    }

    [Fact]
    public void Validate_ZeroDrainDelay_Succeeds()
    {
        Assert.True(_validator.Validate(null, new HostnameOptions { DrainDelay = TimeSpan.Zero }).Succeeded);
    }
}
