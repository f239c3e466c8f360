using Ingress.Gateway.Reconciliation;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Dns;

/// <summary>Fails start-up on a DNS service entry that could never route, naming the configuration key.</summary>
internal sealed class DnsDiscoveryOptionsValidator : IValidateOptions<DnsDiscoveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DnsDiscoveryOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (options.Services.Count == 0)
        {
            failures.Add($"{DnsDiscoveryOptions.SectionName}:{nameof(DnsDiscoveryOptions.Services)} is empty; name at least one service to resolve.");
        }

        if (options.RefreshInterval <= TimeSpan.Zero)
        {
            failures.Add($"{DnsDiscoveryOptions.SectionName}:{nameof(DnsDiscoveryOptions.RefreshInterval)} must be positive.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Services.Count; i++)
        {
            var service = options.Services[i];
            var key = $"{DnsDiscoveryOptions.SectionName}:{nameof(DnsDiscoveryOptions.Services)}:{i}";
            if (string.IsNullOrWhiteSpace(service.Name) || service.Name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
            {
                failures.Add($"{key}:{nameof(DnsServiceOptions.Name)} = '{service.Name}' is not a service name.");
                continue;
            }

            if (!names.Add(service.Name))
            {
                failures.Add($"{key}:{nameof(DnsServiceOptions.Name)} = '{service.Name}' is listed twice.");
            }

            if (LabelParser.Parse(service.ToLabels(), out var errors) is null)
            {
                foreach (var error in errors)
                {
                    failures.Add($"{key}: {error}");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
