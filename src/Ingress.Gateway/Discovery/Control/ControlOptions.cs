namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// Settings of the control channel (<c>Ingress:Control</c>): how gateways that cannot read the swarm (on workers) follow
/// the ones that can (on managers).
/// </summary>
/// <remarks>
/// Defaults: off. When on, a gateway with the Docker source serves its discovery state on <see cref="Port"/> (8081) to
/// the other gateways, and a gateway without it follows the gateways that <see cref="Managers"/> names. The token is read
/// from <c>/run/secrets/ingress-control-token</c>. A manager gateway answers a follower's long poll at once on a change
/// and at least every 5 s otherwise; a follower that hears nothing for 8 s tries another manager gateway, retrying with
/// backoff from 250 ms to 5 s while none answers.
/// </remarks>
public sealed class ControlOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Control";

    /// <summary>The token file's default path: where Swarm mounts a secret named <c>ingress-control-token</c>.</summary>
    public const string DefaultTokenFile = "/run/secrets/ingress-control-token";

    /// <summary>Switches the control channel on.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The manager gateways: a DNS name (in <c>stack.yml</c> a network alias that only the manager gateways carry on the
    /// control network, so that it resolves to their addresses there), or a comma-separated list of <c>host[:port]</c>.
    /// Followers follow them; every gateway uses them to tell which of its networks is the control network.
    /// </summary>
    public string? Managers { get; set; }

    /// <summary>The port the control channel listens on; never published. Default 8081.</summary>
    public int Port { get; set; } = 8081;

    /// <summary>The file holding the shared token (at least 32 characters): a swarm secret.</summary>
    public string TokenFile { get; set; } = DefaultTokenFile;

    /// <summary>How long a manager gateway holds a follower's long poll when nothing changes. Default 5 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a follower waits for an answer beyond <see cref="HeartbeatInterval"/> before it tries another manager gateway. Default 3 s.</summary>
    public TimeSpan HeartbeatGrace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The longest delay between rounds of attempts while no manager gateway answers. Default 5 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
}
