using Ingress.Gateway.Resilience;

namespace Ingress.Gateway.Tests.Resilience;

public sealed class ResilienceOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new ResilienceOptionsValidator().Validate(null, new ResilienceOptions()).Succeeded);
    }

    [Theory]
    [InlineData(nameof(ResilienceOptions.MaxAttempts), "Ingress:Resilience:MaxAttempts = 11 must be 1-10.")]
    [InlineData(nameof(ResilienceOptions.RetryBudgetRatio), "Ingress:Resilience:RetryBudgetRatio = -0.5 must be 0-1.")]
    [InlineData(nameof(ResilienceOptions.RetryBudgetReserve), "Ingress:Resilience:RetryBudgetReserve = -1 must not be negative.")]
    [InlineData(nameof(ResilienceOptions.ReactivationPeriod), "Ingress:Resilience:ReactivationPeriod = 00:00:00 must be positive.")]
    [InlineData(nameof(ResilienceOptions.ConnectTimeout), "Ingress:Resilience:ConnectTimeout = -00:00:01 must be positive.")]
    [InlineData(nameof(ResilienceOptions.UnacknowledgedTimeout), "Ingress:Resilience:UnacknowledgedTimeout = 00:00:00 must be positive.")]
    [InlineData(nameof(ResilienceOptions.RequestTimeout), "Ingress:Resilience:RequestTimeout = 00:00:00 must be positive.")]
    [InlineData(nameof(ResilienceOptions.RetryAfterSeconds), "Ingress:Resilience:RetryAfterSeconds = -1 must not be negative.")]
    public void Validate_OneBadSetting_FailsWithOneMessageNamingTheKey(string key, string message)
    {
        var options = new ResilienceOptions();
        switch (key)
        {
            case nameof(options.MaxAttempts): options.MaxAttempts = 11; break;
            case nameof(options.RetryBudgetRatio): options.RetryBudgetRatio = -0.5; break;
            case nameof(options.RetryBudgetReserve): options.RetryBudgetReserve = -1; break;
            case nameof(options.ReactivationPeriod): options.ReactivationPeriod = TimeSpan.Zero; break;
            case nameof(options.ConnectTimeout): options.ConnectTimeout = TimeSpan.FromSeconds(-1); break;
            case nameof(options.UnacknowledgedTimeout): options.UnacknowledgedTimeout = TimeSpan.Zero; break;
            case nameof(options.RequestTimeout): options.RequestTimeout = TimeSpan.Zero; break;
            default: options.RetryAfterSeconds = -1; break;
        }

        var result = new ResilienceOptionsValidator().Validate(null, options);

        Assert.Equal(message, Assert.Single(result.Failures!));
    }
}
