using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Configuration;

/// <summary>Fails start-up on transport settings the relay could not run with, naming the key.</summary>
internal sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
{
    /// <summary>The most event loops accepted.</summary>
    internal const int MaxEventLoops = 64;

    public ValidateOptionsResult Validate(string? name, TransportOptions options)
    {
        if (options.EventLoops is { } loops && loops is < 1 or > MaxEventLoops)
        {
            return ValidateOptionsResult.Fail(
                $"{TransportOptions.SectionName}:{nameof(TransportOptions.EventLoops)} = {loops} must be 1-{MaxEventLoops} (or empty for one per processor).");
        }

        return ValidateOptionsResult.Success;
    }
}
