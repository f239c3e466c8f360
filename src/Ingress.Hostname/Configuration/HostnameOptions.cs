namespace Ingress.Hostname.Configuration;

/// <summary>Settings of the hostname service, bound from the <c>Hostname</c> configuration section.</summary>
/// <remarks>
/// Defaults:
/// <list type="bullet">
/// <item><see cref="Name"/>: <see cref="Environment.MachineName"/>, which inside a container is the container ID, as in the Go service.</item>
/// <item><see cref="LogRequests"/>: <c>true</c>, one stdout line per request, as in the Go service.</item>
/// <item><see cref="DrainDelay"/>: 5 seconds. Long enough for the gateway to see the task leave the swarm, short enough that
/// the drain plus the slowest request stays inside Docker's default 10 s <c>stop_grace_period</c> before SIGKILL.</item>
/// </list>
/// The properties are settable, not <c>init</c>: the configuration-binding source generator that Native AOT relies on
/// silently skips <c>init</c> properties.
/// </remarks>
internal sealed record HostnameOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Hostname";

    /// <summary>The default of <see cref="DrainDelay"/>.</summary>
    public static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(5);

    /// <summary>The largest accepted <see cref="DrainDelay"/>; anything longer is a typo, and would outlive any grace period.</summary>
    public static readonly TimeSpan MaxDrainDelay = TimeSpan.FromMinutes(10);

    /// <summary>The body of every response and the line printed for every request.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Whether each served request prints <see cref="Name"/> on stdout; turn off for load tests.</summary>
    public bool LogRequests { get; set; } = true;

    /// <summary>How long, after SIGTERM, <c>/healthz</c> answers 503 while requests are still served, before the host stops.</summary>
    public TimeSpan DrainDelay { get; set; } = DefaultDrainDelay;
}
