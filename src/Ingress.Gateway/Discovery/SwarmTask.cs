namespace Ingress.Gateway.Discovery;

/// <summary>One running replica of a service, with the address the gateway reaches it on.</summary>
/// <param name="Id">The Swarm task ID (for DNS, the address itself).</param>
/// <param name="Address">The task's IP on the network it shares with the gateway.</param>
/// <param name="Slot">The replica slot (0 for global services and DNS).</param>
/// <param name="NodeId">The node running the task, when known.</param>
/// <param name="ContainerId">The container ID, which is also the container's host name, when known.</param>
/// <param name="State">The task state as Swarm reports it, e.g. <c>running</c>.</param>
public sealed record SwarmTask(
    string Id,
    string Address,
    int Slot,
    string? NodeId,
    string? ContainerId,
    string State);
