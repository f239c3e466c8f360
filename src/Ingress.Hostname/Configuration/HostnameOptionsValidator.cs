using Microsoft.Extensions.Options;

namespace Ingress.Hostname.Configuration;

/// <summary>Rejects <see cref="HostnameOptions"/> that would make the service misbehave, naming the configuration key at fault.</summary>
internal sealed class HostnameOptionsValidator : IValidateOptions<HostnameOptions>
{
    /// <summary>The longest accepted <see cref="HostnameOptions.Name"/>: a DNS name is at most 253 characters.</summary>
    internal const int MaxNameLength = 253;

    public ValidateOptionsResult Validate(string? name, HostnameOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        List<string>? failures = null;

        if (string.IsNullOrWhiteSpace(options.Name))
        {
            (failures ??= []).Add($"{Key(nameof(HostnameOptions.Name))} must not be empty");
        }
        else if (options.Name.Length > MaxNameLength)
        {
            (failures ??= []).Add($"{Key(nameof(HostnameOptions.Name))} must be at most {MaxNameLength} characters (was {options.Name.Length})");
        }
        else if (options.Name.AsSpan().ContainsAnyInRange('\0', '\u001f') || options.Name.Contains('\u007f'))
        {
            // The name is printed once per request as one stdout line; a newline in it would break that contract.
            (failures ??= []).Add($"{Key(nameof(HostnameOptions.Name))} must not contain control characters such as newlines");
        }

        if (options.DrainDelay < TimeSpan.Zero || options.DrainDelay > HostnameOptions.MaxDrainDelay)
        {
            (failures ??= []).Add(
                $"{Key(nameof(HostnameOptions.DrainDelay))} must be between 00:00:00 and {HostnameOptions.MaxDrainDelay:c} (was {options.DrainDelay:c})");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Key(string property) => $"{HostnameOptions.SectionName}:{property}";
}
