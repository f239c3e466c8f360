using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Resilience;

/// <summary>Fails start-up on retry, health and timeout settings the gateway could not run with, naming the key.</summary>
internal sealed class ResilienceOptionsValidator : IValidateOptions<ResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, ResilienceOptions options)
    {
        var failures = new List<string>();
        Check(options.MaxAttempts is >= 1 and <= 10, nameof(options.MaxAttempts), options.MaxAttempts, "must be 1-10");
        Check(options.RetryBudgetRatio is >= 0 and <= 1, nameof(options.RetryBudgetRatio), options.RetryBudgetRatio, "must be 0-1");
        Check(options.RetryBudgetReserve >= 0, nameof(options.RetryBudgetReserve), options.RetryBudgetReserve, "must not be negative");
        Check(options.ReactivationPeriod > TimeSpan.Zero, nameof(options.ReactivationPeriod), options.ReactivationPeriod, "must be positive");
        Check(options.ConnectTimeout > TimeSpan.Zero, nameof(options.ConnectTimeout), options.ConnectTimeout, "must be positive");
        Check(options.UnacknowledgedTimeout > TimeSpan.Zero, nameof(options.UnacknowledgedTimeout), options.UnacknowledgedTimeout, "must be positive");
        Check(options.RequestTimeout > TimeSpan.Zero, nameof(options.RequestTimeout), options.RequestTimeout, "must be positive");
        Check(options.RetryAfterSeconds >= 0, nameof(options.RetryAfterSeconds), options.RetryAfterSeconds, "must not be negative");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string key, object value, string rule)
        {
            if (!ok)
            {
                failures.Add($"{ResilienceOptions.SectionName}:{key} = {value} {rule}.");
            }
        }
    }
}
