namespace Ingress.Gateway.Discovery.Docker;

/// <summary>Settings of the Docker Engine API discovery source (<c>Ingress:Discovery:Docker</c>).</summary>
/// <remarks>
/// Defaults: disabled; endpoint from <c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c>; tasks re-listed every
/// second (Swarm emits no task events); services re-listed on every service event and at least every 10 s; each API call
/// times out after 5 s; failures back off from 1 s to 30 s.
/// </remarks>
public sealed class DockerDiscoveryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Discovery:Docker";

    /// <summary>Switches the source on. It needs a manager node's Docker API.</summary>
    public bool Enabled { get; set; }

    /// <summary>The Docker API endpoint: <c>unix:///path</c> or <c>tcp://host:port</c>. Null means <c>DOCKER_HOST</c> or the local socket.</summary>
    public string? Endpoint { get; set; }

    /// <summary>A directory holding <c>ca.pem</c>, <c>cert.pem</c> and <c>key.pem</c> for a TLS <c>tcp://</c> endpoint. Null means <c>DOCKER_CERT_PATH</c> when <c>DOCKER_TLS_VERIFY</c> is set.</summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>How often tasks are re-listed.</summary>
    public TimeSpan TaskRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often services are re-listed when no service event arrives.</summary>
    public TimeSpan ServiceRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The timeout of each Docker API call.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay between retries during an outage.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Names of the networks whose task addresses the gateway may use. Empty means: the networks of the gateway's own
    /// container when it runs in one, else any non-ingress network. The <c>ingress.network</c> label overrides per service.
    /// </summary>
    public List<string> Networks { get; set; } = [];

    internal const string DefaultSocket = "unix:///var/run/docker.sock";

    /// <summary>The endpoint actually used.</summary>
    public string ResolveEndpoint() =>
        !string.IsNullOrWhiteSpace(Endpoint) ? Endpoint
        : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host
        : DefaultSocket;
}
