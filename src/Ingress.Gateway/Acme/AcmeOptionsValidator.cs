using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Acme;

/// <summary>Fails start-up on ACME settings the client could not work with, naming the key.</summary>
internal sealed class AcmeOptionsValidator : IValidateOptions<AcmeOptions>
{
    /// <summary>The most <c>badNonce</c> retries accepted.</summary>
    internal const int MaxBadNonceRetries = 20;

    /// <summary>The longest interval or timeout accepted.</summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, AcmeOptions options)
    {
        const string Section = AcmeOptions.SectionName;
        var failures = new List<string>();
        if (!Uri.TryCreate(options.DirectoryUrl, UriKind.Absolute, out var directory) || directory.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.DirectoryUrl)} = '{options.DirectoryUrl}' must be an absolute https:// URL.");
        }

        if (!string.IsNullOrWhiteSpace(options.TrustedRootFile) && AcmeServerTrust.TryLoadRoots(options.TrustedRootFile, out var error) is null)
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.TrustedRootFile)}: {error}");
        }

        foreach (var contact in options.Contacts)
        {
            if (!Uri.TryCreate(contact, UriKind.Absolute, out _))
            {
                failures.Add($"{Section}:{nameof(AcmeOptions.Contacts)}: '{contact}' is not a URL (write mailto:name@example.com).");
            }
        }

        if (!options.AcceptTermsOfService)
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.AcceptTermsOfService)} must be true: the certificate authority opens no account without it.");
        }

        Within(options.PollInterval, nameof(AcmeOptions.PollInterval));
        Within(options.MaxPollInterval, nameof(AcmeOptions.MaxPollInterval));
        Within(options.PollTimeout, nameof(AcmeOptions.PollTimeout));
        Within(options.RequestTimeout, nameof(AcmeOptions.RequestTimeout));
        Within(options.CheckInterval, nameof(AcmeOptions.CheckInterval));
        Within(options.MinRetryDelay, nameof(AcmeOptions.MinRetryDelay));
        if (options.MaxRetryDelay < options.MinRetryDelay || options.MaxRetryDelay > TimeSpan.FromDays(1))
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.MaxRetryDelay)} = {options.MaxRetryDelay} must be at least {nameof(AcmeOptions.MinRetryDelay)} = {options.MinRetryDelay} and at most 1 day.");
        }

        if (string.IsNullOrWhiteSpace(options.StoragePath) || !Path.IsPathFullyQualified(options.StoragePath))
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.StoragePath)} = '{options.StoragePath}' must be an absolute path (a volume, so that certificates survive a restart).");
        }
        if (options.PollInterval > options.MaxPollInterval)
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.PollInterval)} = {options.PollInterval} is longer than {nameof(AcmeOptions.MaxPollInterval)} = {options.MaxPollInterval}.");
        }

        if (options.BadNonceRetries is < 0 or > MaxBadNonceRetries)
        {
            failures.Add($"{Section}:{nameof(AcmeOptions.BadNonceRetries)} = {options.BadNonceRetries} must be 0-{MaxBadNonceRetries}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Within(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero || value > MaxDuration)
            {
                failures.Add($"{Section}:{key} = {value} must be positive and at most {MaxDuration}.");
            }
        }
    }
}
