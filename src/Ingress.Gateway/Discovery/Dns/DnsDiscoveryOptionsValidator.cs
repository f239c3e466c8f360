using Ingress.Gateway.Schema;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Dns;

/// <summary>Fails start-up on DNS settings the source could not run with, or an entry that could never route, naming the key.</summary>
internal sealed class DnsDiscoveryOptionsValidator : IValidateOptions<DnsDiscoveryOptions>
{
    /// <summary>The longest refresh interval or retry delay accepted.</summary>
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    /// <summary>The longest lookup timeout accepted.</summary>
    internal static readonly TimeSpan MaxLookupTimeout = TimeSpan.FromMinutes(1);

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

        // Upper bounds too: a huge value would overflow the timers (and a pass waits for its slowest lookup, so a long
        // lookup timeout holds back every other name's update while one name hangs).
        Within(options.RefreshInterval, nameof(DnsDiscoveryOptions.RefreshInterval), MaxInterval);
        Within(options.LookupTimeout, nameof(DnsDiscoveryOptions.LookupTimeout), MaxLookupTimeout);
        Within(options.MaxRetryDelay, nameof(DnsDiscoveryOptions.MaxRetryDelay), MaxInterval);

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

            var labels = service.ToLabels(out var givenTwice);
            foreach (var label in givenTwice)
            {
                failures.Add($"{key}:{nameof(DnsServiceOptions.Labels)}:{label} is also set by an option of its own; give it once.");
            }

            foreach (var label in service.Labels.Keys.Where(k => !IngressLabels.IsIngressLabel(k)))
            {
                failures.Add($"{key}:{nameof(DnsServiceOptions.Labels)}:{label} is not an {IngressLabels.Prefix}* label.");
            }

            if (LabelParser.Parse(labels, out var errors) is null)
            {
                foreach (var error in errors)
                {
                    failures.Add($"{key}: {error}");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Within(TimeSpan value, string key, TimeSpan max)
        {
            if (value <= TimeSpan.Zero || value > max)
            {
                failures.Add($"{DnsDiscoveryOptions.SectionName}:{key} = {value} must be positive and at most {max}.");
            }
        }
    }
}
