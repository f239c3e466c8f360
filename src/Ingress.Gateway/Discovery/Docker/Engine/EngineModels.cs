namespace Ingress.Gateway.Discovery.Docker.Engine;

// The Docker Engine API's answers, cut down to the fields the gateway reads; the JSON context ignores the rest. Names
// follow the API's (matched case-insensitively: "ID" is Id). Every field is optional, as the engine leaves some out
// (a global service's task has no Slot; an ordinary network no Ingress flag).

/// <summary>A swarm service as <c>GET /services</c> lists it.</summary>
internal sealed record EngineService
{
    public string Id { get; init; } = "";

    public DateTimeOffset? CreatedAt { get; init; }

    public EngineServiceSpec? Spec { get; init; }
}

/// <summary>A service's name and labels.</summary>
internal sealed record EngineServiceSpec
{
    public string? Name { get; init; }

    public IReadOnlyDictionary<string, string?>? Labels { get; init; }
}

/// <summary>A swarm task as <c>GET /tasks</c> lists it.</summary>
internal sealed record EngineTask
{
    public string Id { get; init; } = "";

    public string? ServiceId { get; init; }

    public string? NodeId { get; init; }

    public long? Slot { get; init; }

    /// <summary>The state the orchestrator wants (<see cref="EngineTaskStates"/>).</summary>
    public string? DesiredState { get; init; }

    public EngineTaskStatus? Status { get; init; }

    public IReadOnlyList<EngineNetworkAttachment>? NetworksAttachments { get; init; }
}

/// <summary>The task states the gateway compares with: the API sends them as lower-case strings.</summary>
internal static class EngineTaskStates
{
    public const string Running = "running";
}

/// <summary>A task's actual state and its container.</summary>
internal sealed record EngineTaskStatus
{
    public string? State { get; init; }

    public EngineContainerStatus? ContainerStatus { get; init; }
}

/// <summary>The container a task runs in, once it has one.</summary>
internal sealed record EngineContainerStatus
{
    public string? ContainerId { get; init; }
}

/// <summary>A task's address (CIDR) on one network.</summary>
internal sealed record EngineNetworkAttachment
{
    public EngineNetwork? Network { get; init; }

    public IReadOnlyList<string>? Addresses { get; init; }
}

/// <summary>A swarm network.</summary>
internal sealed record EngineNetwork
{
    public string Id { get; init; } = "";

    public EngineNetworkSpec? Spec { get; init; }
}

/// <summary>A network's name, and whether it is the routing mesh.</summary>
internal sealed record EngineNetworkSpec
{
    public string? Name { get; init; }

    public bool? Ingress { get; init; }
}

/// <summary>A container as <c>GET /containers/{id}/json</c> shows it.</summary>
internal sealed record EngineContainer
{
    public EngineNetworkSettings? NetworkSettings { get; init; }
}

/// <summary>A container's networks, by name.</summary>
internal sealed record EngineNetworkSettings
{
    public IReadOnlyDictionary<string, EngineEndpointSettings?>? Networks { get; init; }
}

/// <summary>A container's endpoint on one network.</summary>
internal sealed record EngineEndpointSettings
{
    public string? NetworkId { get; init; }
}

/// <summary>The engine as <c>GET /info</c> describes it.</summary>
internal sealed record EngineInfo
{
    public EngineSwarmInfo? Swarm { get; init; }
}

/// <summary>The engine's node in the swarm: <see cref="ControlAvailable"/> on a manager.</summary>
internal sealed record EngineSwarmInfo
{
    public string? NodeId { get; init; }

    public bool ControlAvailable { get; init; }
}

/// <summary>A swarm node as <c>GET /nodes/{id}</c> shows it.</summary>
internal sealed record EngineNode
{
    public EngineManagerStatus? ManagerStatus { get; init; }
}

/// <summary>A manager node's Raft state.</summary>
internal sealed record EngineManagerStatus
{
    public bool Leader { get; init; }
}

/// <summary>One object of the <c>GET /events</c> stream.</summary>
internal sealed record EngineEvent
{
    public string Type { get; init; } = "";

    public string Action { get; init; } = "";
}
