namespace Ingress.Gateway.Discovery.Control;

/// <summary>How this gateway fares on the control channel, for <c>/api/state</c>, the dashboard and the metrics.</summary>
internal sealed class ControlStatus(ControlRole role, string managers)
{
    private readonly Lock _gate = new();
    private ControlView _view = new(role, managers, [], null, null, false, null, null, 0, null, 0);

    public ControlRole Role { get; } = role;

    public ControlView View
    {
        get { lock (_gate) { return _view; } }
    }

    /// <summary>A manager gateway: where it takes follower requests (empty while the control network is unknown).</summary>
    public void Serving(IReadOnlyList<string> network)
    {
        lock (_gate)
        {
            _view = _view with { Network = network, Connected = network.Count > 0 };
        }
    }

    /// <summary>A manager gateway: how many followers wait on it.</summary>
    public void Waiting(int followers)
    {
        lock (_gate)
        {
            _view = _view with { Followers = followers };
        }
    }

    /// <summary>A manager gateway: the revision it serves now.</summary>
    public void Published(long revision)
    {
        lock (_gate)
        {
            _view = _view with { Revision = revision };
        }
    }

    /// <summary>A follower heard from a manager gateway.</summary>
    public void Heard(string endpoint, string manager, long revision, DateTimeOffset now)
    {
        lock (_gate)
        {
            var reconnected = !_view.Connected || _view.Following != endpoint;
            _view = _view with
            {
                Following = endpoint,
                Manager = manager,
                Connected = true,
                Since = reconnected ? now : _view.Since,
                LastHeard = now,
                Revision = revision,
                LastError = null,
            };
        }
    }

    /// <summary>A follower reached no manager gateway.</summary>
    public void Lost(string error, DateTimeOffset now)
    {
        lock (_gate)
        {
            _view = _view with { Connected = false, Following = null, Since = _view.Connected || _view.Since is null ? now : _view.Since, LastError = error };
        }
    }
}

/// <summary>The part a gateway plays on the control channel.</summary>
public enum ControlRole
{
    /// <summary>Reads the swarm through the Docker API and serves what it finds to followers.</summary>
    Manager,

    /// <summary>Has no Docker API; follows the manager gateways.</summary>
    Follower,
}

/// <summary>The control channel as <c>/api/state</c> shows it.</summary>
/// <param name="Role">Manager or follower.</param>
/// <param name="Managers">The configured manager gateways (a name or a list).</param>
/// <param name="Network">A manager's control addresses (<c>address/prefix</c>); empty until known.</param>
/// <param name="Following">A follower's current manager gateway endpoint, or null when none answers.</param>
/// <param name="Manager">The host name of the manager gateway followed.</param>
/// <param name="Connected">A follower: a manager gateway answers. A manager: its control network is known.</param>
/// <param name="Since">When the follower last connected, or lost every manager gateway.</param>
/// <param name="LastHeard">When a manager gateway last answered the follower.</param>
/// <param name="Revision">The state revision served (manager) or applied (follower).</param>
/// <param name="LastError">Why no manager gateway answers, while none does.</param>
/// <param name="Followers">A manager: the followers waiting on it now.</param>
public sealed record ControlView(
    ControlRole Role,
    string Managers,
    IReadOnlyList<string> Network,
    string? Following,
    string? Manager,
    bool Connected,
    DateTimeOffset? Since,
    DateTimeOffset? LastHeard,
    long Revision,
    string? LastError,
    int Followers);
