using Ingress.Gateway.Discovery.Docker;

namespace Ingress.Gateway.Tests.Discovery.Docker;

public sealed class DockerDiscoveryOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new DockerDiscoveryOptionsValidator().Validate(null, new DockerDiscoveryOptions()).Succeeded);
    }

    [Theory]
    [InlineData(nameof(DockerDiscoveryOptions.TaskRefreshInterval))]
    [InlineData(nameof(DockerDiscoveryOptions.ServiceRefreshInterval))]
    [InlineData(nameof(DockerDiscoveryOptions.RequestTimeout))]
    [InlineData(nameof(DockerDiscoveryOptions.MaxRetryDelay))]
    public void Validate_IntervalNotPositive_FailsNamingTheKeyEvenWhenDisabled(string key)
    {
        var options = new DockerDiscoveryOptions { Enabled = false };
        switch (key)
        {
            case nameof(options.TaskRefreshInterval): options.TaskRefreshInterval = TimeSpan.Zero; break;
            case nameof(options.ServiceRefreshInterval): options.ServiceRefreshInterval = TimeSpan.Zero; break;
            case nameof(options.RequestTimeout): options.RequestTimeout = TimeSpan.Zero; break;
            default: options.MaxRetryDelay = TimeSpan.Zero; break;
        }

        var result = new DockerDiscoveryOptionsValidator().Validate(null, options);

        Assert.Equal($"Ingress:Discovery:Docker:{key} = 00:00:00 must be positive.", Assert.Single(result.Failures!));
    }
}
