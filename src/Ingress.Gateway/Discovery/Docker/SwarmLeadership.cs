using Ingress.Gateway.Discovery.Docker.Engine;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>
/// Whether this gateway's node is the swarm's Raft leader: the one manager whose gateway does what must happen once per
/// swarm (ordering ACME certificates). The Docker API answers it from the node's own manager state, with two reads.
/// </summary>
/// <remarks>
/// While the leader changes, two managers may each see themselves as leader for a moment; what they do then must be
/// safe to do twice (an ACME order is: the newest certificate wins everywhere).
/// </remarks>
internal sealed class SwarmLeadership(DockerEngineClient docker)
{
    /// <summary>True on the leader's node; false on any other manager, or where the engine is not a swarm manager.</summary>
    public async Task<bool> IsLeaderAsync(CancellationToken cancellationToken)
    {
        var info = await docker.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        if (info.Swarm is not { ControlAvailable: true, NodeId: { Length: > 0 } nodeId })
        {
            return false;
        }

        var node = await docker.InspectNodeAsync(nodeId, cancellationToken).ConfigureAwait(false);
        return node.ManagerStatus?.Leader == true;
    }
}
