using Ingress.Gateway.Discovery.Docker;

namespace Ingress.Gateway.Issuance;

/// <summary>Decides whether this gateway is the one that orders ACME certificates: one per swarm, whatever the number of gateways.</summary>
internal interface IIssuerElection
{
    /// <summary>True when this gateway orders certificates now.</summary>
    Task<bool> IsIssuerAsync(CancellationToken cancellationToken);

    /// <summary>Who issues, for <c>/api/state</c>: this gateway's part in it.</summary>
    string Role { get; }
}

/// <summary>A gateway without the control channel: it is the only one, so it issues.</summary>
internal sealed class StandaloneIssuer : IIssuerElection
{
    public string Role => "standalone";

    public Task<bool> IsIssuerAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}

/// <summary>A follower gateway (on a worker): it never issues; it receives the certificates from the manager gateways.</summary>
internal sealed class FollowerNeverIssues : IIssuerElection
{
    public string Role => "follower";

    public Task<bool> IsIssuerAsync(CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>A manager gateway: the one on the swarm's leader issues; the others receive the certificates from it.</summary>
internal sealed class SwarmLeaderIssues(SwarmLeadership leadership) : IIssuerElection
{
    public string Role => "manager";

    public Task<bool> IsIssuerAsync(CancellationToken cancellationToken) => leadership.IsLeaderAsync(cancellationToken);
}
