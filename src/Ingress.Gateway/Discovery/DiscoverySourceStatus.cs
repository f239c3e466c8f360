namespace Ingress.Gateway.Discovery;

/// <summary>How a discovery source is faring, shown on <c>/readyz</c> and <c>/api/state</c>.</summary>
/// <param name="Source">The source name.</param>
/// <param name="State">Pending until its first listing, then up or failing.</param>
/// <param name="LastSuccess">When the last listing succeeded.</param>
/// <param name="FailingSince">When the current outage began, if in one.</param>
/// <param name="LastError">The reason of the last failure, if any.</param>
/// <param name="ConsecutiveFailures">Failures since the last success.</param>
public sealed record DiscoverySourceStatus(
    string Source,
    DiscoverySourceState State,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? FailingSince,
    string? LastError,
    int ConsecutiveFailures);

/// <summary>The health of a discovery source.</summary>
public enum DiscoverySourceState
{
    /// <summary>No listing has completed yet.</summary>
    Pending,

    /// <summary>The last listing succeeded.</summary>
    Up,

    /// <summary>The last listing failed; the last known services stay in force.</summary>
    Failing,
}
