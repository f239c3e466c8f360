using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Configuration;

/// <summary>Fails start-up on entry-listener limits Kestrel or the relay could not apply, naming the key.</summary>
internal sealed class GatewayLimitsOptionsValidator : IValidateOptions<GatewayLimitsOptions>
{
    /// <summary>The smallest header budget accepted, in bytes.</summary>
    internal const int MinRequestHeadersTotalSize = 1024;

    public ValidateOptionsResult Validate(string? name, GatewayLimitsOptions options)
    {
        var failures = new List<string>();
        Check(options.MaxConnectionsPerEntryPort > 0, nameof(options.MaxConnectionsPerEntryPort), options.MaxConnectionsPerEntryPort, "must be positive");
        Check(options.MaxRequestHeadersTotalSize >= MinRequestHeadersTotalSize, nameof(options.MaxRequestHeadersTotalSize), options.MaxRequestHeadersTotalSize, $"must be at least {MinRequestHeadersTotalSize}");
        Check(options.MaxRequestBodySize is null or > 0, nameof(options.MaxRequestBodySize), options.MaxRequestBodySize, "must be positive (or empty for no limit)");
        Check(options.RequestHeadersTimeout > TimeSpan.Zero, nameof(options.RequestHeadersTimeout), options.RequestHeadersTimeout, "must be positive");
        Check(options.MinRequestBodyBytesPerSecond > 0, nameof(options.MinRequestBodyBytesPerSecond), options.MinRequestBodyBytesPerSecond, "must be positive");
        // Kestrel's MinDataRate rejects a grace period of 1 s or less, and only when the server starts.
        Check(options.MinRequestBodyGracePeriod > TimeSpan.FromSeconds(1), nameof(options.MinRequestBodyGracePeriod), options.MinRequestBodyGracePeriod, "must be longer than 1 s");
        Check(options.KeepAliveTimeout > TimeSpan.Zero, nameof(options.KeepAliveTimeout), options.KeepAliveTimeout, "must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string key, object? value, string rule)
        {
            if (!ok)
            {
                failures.Add($"{GatewayLimitsOptions.SectionName}:{key} = {value} {rule}.");
            }
        }
    }
}
