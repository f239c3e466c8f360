using Ingress.Gateway.Configuration;

namespace Ingress.Gateway.Tests.Configuration;

public sealed class GatewayLimitsOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new GatewayLimitsOptionsValidator().Validate(null, new GatewayLimitsOptions()).Succeeded);
    }

    [Fact]
    public void Validate_NoBodyLimit_Succeeds()
    {
        Assert.True(new GatewayLimitsOptionsValidator().Validate(null, new GatewayLimitsOptions { MaxRequestBodySize = null }).Succeeded);
    }

    [Theory]
    [InlineData(nameof(GatewayLimitsOptions.MaxConnectionsPerEntryPort), "Ingress:Limits:MaxConnectionsPerEntryPort = 0 must be positive.")]
    [InlineData(nameof(GatewayLimitsOptions.MaxRequestHeadersTotalSize), "Ingress:Limits:MaxRequestHeadersTotalSize = 1023 must be at least 1024.")]
    [InlineData(nameof(GatewayLimitsOptions.MaxRequestBodySize), "Ingress:Limits:MaxRequestBodySize = 0 must be positive (or empty for no limit).")]
    [InlineData(nameof(GatewayLimitsOptions.RequestHeadersTimeout), "Ingress:Limits:RequestHeadersTimeout = 00:00:00 must be positive.")]
    [InlineData(nameof(GatewayLimitsOptions.MinRequestBodyBytesPerSecond), "Ingress:Limits:MinRequestBodyBytesPerSecond = 0 must be positive.")]
    [InlineData(nameof(GatewayLimitsOptions.MinRequestBodyGracePeriod), "Ingress:Limits:MinRequestBodyGracePeriod = 00:00:01 must be longer than 1 s.")]
    [InlineData(nameof(GatewayLimitsOptions.KeepAliveTimeout), "Ingress:Limits:KeepAliveTimeout = 00:00:00 must be positive.")]
    public void Validate_OneBadLimit_FailsWithOneMessageNamingTheKey(string key, string message)
    {
        var options = new GatewayLimitsOptions();
        switch (key)
        {
            case nameof(options.MaxConnectionsPerEntryPort): options.MaxConnectionsPerEntryPort = 0; break;
            case nameof(options.MaxRequestHeadersTotalSize): options.MaxRequestHeadersTotalSize = 1023; break;
            case nameof(options.MaxRequestBodySize): options.MaxRequestBodySize = 0; break;
            case nameof(options.RequestHeadersTimeout): options.RequestHeadersTimeout = TimeSpan.Zero; break;
            case nameof(options.MinRequestBodyBytesPerSecond): options.MinRequestBodyBytesPerSecond = 0; break;
            case nameof(options.MinRequestBodyGracePeriod): options.MinRequestBodyGracePeriod = TimeSpan.FromSeconds(1); break;
            default: options.KeepAliveTimeout = TimeSpan.Zero; break;
        }

        var result = new GatewayLimitsOptionsValidator().Validate(null, options);

        Assert.Equal(message, Assert.Single(result.Failures!));
    }
}
