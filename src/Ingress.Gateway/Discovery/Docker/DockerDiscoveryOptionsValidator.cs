using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>Fails start-up on Docker source intervals its loops could not run with, naming the key.</summary>
/// <remarks>
/// Checked whether or not the source is enabled, as before. The endpoint and the TLS directory are checked by
/// <see cref="DockerClientFactory"/>, which needs them to create the client anyway.
/// </remarks>
internal sealed class DockerDiscoveryOptionsValidator : IValidateOptions<DockerDiscoveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DockerDiscoveryOptions options)
    {
        var failures = new List<string>();
        Positive(options.TaskRefreshInterval, nameof(DockerDiscoveryOptions.TaskRefreshInterval));
        Positive(options.ServiceRefreshInterval, nameof(DockerDiscoveryOptions.ServiceRefreshInterval));
        Positive(options.RequestTimeout, nameof(DockerDiscoveryOptions.RequestTimeout));
        Positive(options.MaxRetryDelay, nameof(DockerDiscoveryOptions.MaxRetryDelay));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{DockerDiscoveryOptions.SectionName}:{key} = {value} must be positive.");
            }
        }
    }
}
