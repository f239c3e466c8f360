using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>Fails start-up on control-channel settings a gateway could not run with, naming the key.</summary>
/// <param name="reservedPorts">Ports the gateway already listens on (entry and admin ports), which the control port must not be.</param>
internal sealed class ControlOptionsValidator(IReadOnlyCollection<int> reservedPorts) : IValidateOptions<ControlOptions>
{
    /// <summary>The longest interval accepted.</summary>
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, ControlOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        const string Section = ControlOptions.SectionName;
        if (options.Port is < 1 or > 65535)
        {
            failures.Add($"{Section}:{nameof(ControlOptions.Port)} = {options.Port} must be 1-65535.");
        }
        else if (reservedPorts.Contains(options.Port))
        {
            failures.Add($"{Section}:{nameof(ControlOptions.Port)} = {options.Port} is also an entry or admin port.");
        }

        if (string.IsNullOrWhiteSpace(options.Managers))
        {
            failures.Add($"{Section}:{nameof(ControlOptions.Managers)} is empty: name the manager gateways (in stack.yml, the network alias they carry on the control network).");
        }
        else
        {
            ManagerDirectory.Parse(options.Managers, 1, out var errors);
            failures.AddRange(errors.Select(e => $"{Section}:{nameof(ControlOptions.Managers)} = '{options.Managers}': {e}"));
        }

        if (string.IsNullOrWhiteSpace(options.TokenFile))
        {
            failures.Add($"{Section}:{nameof(ControlOptions.TokenFile)} is empty.");
        }
        else if (ControlToken.TryLoad(options.TokenFile, out var error) is null)
        {
            failures.Add($"{Section}:{nameof(ControlOptions.TokenFile)}: {error}");
        }

        Within(options.HeartbeatInterval, nameof(ControlOptions.HeartbeatInterval));
        Within(options.HeartbeatGrace, nameof(ControlOptions.HeartbeatGrace));
        Within(options.MaxRetryDelay, nameof(ControlOptions.MaxRetryDelay));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Within(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero || value > MaxInterval)
            {
                failures.Add($"{Section}:{key} = {value} must be positive and at most {MaxInterval}.");
            }
        }
    }
}
