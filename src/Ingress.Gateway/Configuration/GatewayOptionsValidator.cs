using System.Net;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Configuration;

/// <summary>Rejects listener settings that would make the gateway ambiguous or unable to bind.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        var seen = new HashSet<int>();
        for (var i = 0; i < options.EntryPorts.Count; i++)
        {
            var port = options.EntryPorts[i];
            if (!IsValidPort(port))
            {
                failures.Add($"{GatewayOptions.SectionName}:{nameof(GatewayOptions.EntryPorts)}:{i} = {port} is not a TCP port (1-65535).");
            }
            else if (!seen.Add(port))
            {
                failures.Add($"{GatewayOptions.SectionName}:{nameof(GatewayOptions.EntryPorts)}:{i} = {port} is listed twice.");
            }
        }

        if (!IsValidPort(options.AdminPort))
        {
            failures.Add($"{GatewayOptions.SectionName}:{nameof(GatewayOptions.AdminPort)} = {options.AdminPort} is not a TCP port (1-65535).");
        }
        else if (seen.Contains(options.AdminPort))
        {
            failures.Add($"{GatewayOptions.SectionName}:{nameof(GatewayOptions.AdminPort)} = {options.AdminPort} is also an entry port; the admin listener must never be public.");
        }

        if (options.ListenAddress != "*" && options.ListenAddress != "localhost" && !IPAddress.TryParse(options.ListenAddress, out _))
        {
            failures.Add($"{GatewayOptions.SectionName}:{nameof(GatewayOptions.ListenAddress)} = '{options.ListenAddress}' is not an IP address, '*' or 'localhost'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsValidPort(int port) => port is > 0 and <= 65535;
}
