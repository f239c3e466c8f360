using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Configuration;

/// <summary>Rejects TLS ports that clash with another listener or serve no entry port, and a certificate folder that does not exist.</summary>
/// <param name="entryPorts">The plain entry ports.</param>
/// <param name="otherPorts">The ports of the other listeners (admin, control), which a TLS port must not take.</param>
internal sealed class TlsOptionsValidator(IReadOnlyList<int> entryPorts, IReadOnlyList<int> otherPorts) : IValidateOptions<TlsOptions>
{
    public ValidateOptionsResult Validate(string? name, TlsOptions options)
    {
        var failures = new List<string>();
        var seen = new HashSet<int>();
        for (var i = 0; i < options.Ports.Count; i++)
        {
            var key = $"{TlsOptions.SectionName}:{nameof(TlsOptions.Ports)}:{i}";
            var tls = options.Ports[i];
            if (tls.Port is <= 0 or > 65535)
            {
                failures.Add($"{key}:{nameof(TlsPortOptions.Port)} = {tls.Port} is not a TCP port (1-65535).");
            }
            else if (!seen.Add(tls.Port))
            {
                failures.Add($"{key}:{nameof(TlsPortOptions.Port)} = {tls.Port} is listed twice.");
            }
            else if (entryPorts.Contains(tls.Port))
            {
                failures.Add($"{key}:{nameof(TlsPortOptions.Port)} = {tls.Port} is also a plain entry port (Ingress:EntryPorts); a port is either TLS or plain.");
            }
            else if (otherPorts.Contains(tls.Port))
            {
                failures.Add($"{key}:{nameof(TlsPortOptions.Port)} = {tls.Port} is also the admin or control port.");
            }

            if (!entryPorts.Contains(tls.Routes))
            {
                failures.Add($"{key}:{nameof(TlsPortOptions.Routes)} = {tls.Routes} is not an entry port (Ingress:EntryPorts: {string.Join(", ", entryPorts)}); a TLS port serves the routes of one.");
            }
        }

        if (options.Enabled)
        {
            if (string.IsNullOrWhiteSpace(options.CertificatesPath) || !Directory.Exists(options.CertificatesPath))
            {
                failures.Add($"{TlsOptions.SectionName}:{nameof(TlsOptions.CertificatesPath)} = '{options.CertificatesPath}' is not a folder; give the gateway its certificates as swarm secrets (/run/secrets) or mount a folder.");
            }

            if (options.ReloadInterval <= TimeSpan.Zero)
            {
                failures.Add($"{TlsOptions.SectionName}:{nameof(TlsOptions.ReloadInterval)} = {options.ReloadInterval} must be positive.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
