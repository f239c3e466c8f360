namespace Ingress.Gateway.Configuration;

/// <summary>Thrown at start-up for configuration the gateway cannot run with; its message names the bad keys.</summary>
public sealed class GatewayConfigurationException(IEnumerable<string> failures)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, failures.Select(f => "  - " + f)))
{
    /// <summary>One message per bad setting, each naming its key.</summary>
    public IReadOnlyList<string> Failures { get; } = [.. failures];
}
