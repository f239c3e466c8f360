namespace Ingress.Gateway.Resilience;

/// <summary>How the gateway hides replica failures from clients (<c>Ingress:Resilience</c>).</summary>
/// <remarks>
/// Defaults: retries on, at most 3 attempts per request on distinct replicas, a retry budget of 20% of requests plus
/// 10 in reserve; passive health on, a replica that refuses or resets a connection leaves rotation for 10 s (or until
/// an active probe succeeds); connect timeout 1 s; a replica that acknowledges none of a request's bytes for 1 s is
/// silent; a request may be idle for 60 s before it times out with 504.
/// </remarks>
public sealed class ResilienceOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Resilience";

    /// <summary>Retry a request on another replica when it failed before reaching the first one.</summary>
    public bool Retries { get; set; } = true;

    /// <summary>Attempts per request, the first included.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Retries earned per request, per cluster: 0.2 means retries can add at most 20% to the load.</summary>
    public double RetryBudgetRatio { get; set; } = 0.2;

    /// <summary>Retries a cluster may make before it has earned any, so a quiet service can still retry.</summary>
    public int RetryBudgetReserve { get; set; } = 10;

    /// <summary>Take a replica out of rotation at once when a connection to it is refused or reset.</summary>
    public bool PassiveHealth { get; set; } = true;

    /// <summary>How long a replica stays out after a passive failure, unless an active probe brings it back first.</summary>
    public TimeSpan ReactivationPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The TCP connect timeout to a replica; short, because a vanished task's IP often drops packets.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a replica may leave request bytes unacknowledged, with nothing acknowledged meanwhile, before the attempt
    /// fails as a connection failure: its node is down or its link cut, and no FIN or RST will ever come. The request is
    /// retried on another replica when none of its bytes were acknowledged, and the replica is ejected, as after a connect
    /// timeout. A replica that is merely slow, or reads slowly, still acknowledges, so this never cuts it off.
    /// </summary>
    public TimeSpan UnacknowledgedTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a forwarded request may see no activity before it fails with 504 (YARP's activity timeout).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The <c>Retry-After</c> seconds sent with 503 when a service has no healthy replica.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
}
