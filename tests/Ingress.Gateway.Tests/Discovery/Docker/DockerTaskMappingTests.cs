using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Discovery.Docker.Engine;

namespace Ingress.Gateway.Tests.Discovery.Docker;

public sealed class DockerTaskMappingTests
{
    private const string Running = EngineTaskStates.Running;

    private static readonly List<string> s_noConfiguredNetworks = [];

    private static EngineService Service(string id, string name, Dictionary<string, string?> labels) =>
        new() { Id = id, Spec = new EngineServiceSpec { Name = name, Labels = labels }, CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) };

    private static EngineTask Task(string id, string serviceId, string desired, string actual, params (string Network, string Address, bool Ingress)[] networks) => new()
    {
        Id = id,
        ServiceId = serviceId,
        Slot = 1,
        DesiredState = desired,
        Status = new EngineTaskStatus { State = actual, ContainerStatus = new EngineContainerStatus { ContainerId = "c-" + id } },
        NetworksAttachments = [.. networks.Select(n => new EngineNetworkAttachment
        {
            Network = new EngineNetwork { Id = "id-" + n.Network, Spec = new EngineNetworkSpec { Name = n.Network, Ingress = n.Ingress } },
            Addresses = [n.Address + "/24"],
        })],
    };

    [Fact]
    public void MapServices_KeepsOnlyTasksRunningAndMeantToRun()
    {
        var services = new[] { Service("s1", "ingress_web", new() { ["ingress.publish"] = "8888:80", ["com.docker.stack.namespace"] = "ingress" }) };
        var tasks = new[]
        {
            Task("running", "s1", Running, Running, ("ingress_backend", "10.0.1.5", false)),
            Task("starting", "s1", Running, "starting", ("ingress_backend", "10.0.1.6", false)),
            Task("draining", "s1", "shutdown", Running, ("ingress_backend", "10.0.1.7", false)),
            Task("other-service", "s2", Running, Running, ("ingress_backend", "10.0.1.8", false)),
        };

        var mapped = SwarmServiceMapping.MapServices(services, tasks, gatewayNetworks: null, s_noConfiguredNetworks);

        var service = Assert.Single(mapped);
        Assert.Equal("ingress_web", service.Name);
        Assert.Equal(["ingress.publish"], service.Labels.Keys);
        var task = Assert.Single(service.Tasks);
        Assert.Equal(("running", "10.0.1.5", "c-running"), (task.Id, task.Address, task.ContainerId));
    }

    [Fact]
    public void MapServices_GlobalTaskWithoutSlotOrIngressFlag_MapsAsSlotZero()
    {
        // As Engine 20.10 sends a global service's task: no Slot, no ContainerStatus yet, and no Ingress flag on an
        // ordinary network (the models leave them null).
        var services = new[] { Service("s1", "ingress_web", new() { ["ingress.publish"] = "8888:80" }) };
        var task = new EngineTask
        {
            Id = "t",
            ServiceId = "s1",
            DesiredState = Running,
            Status = new EngineTaskStatus { State = Running },
            NetworksAttachments = [new EngineNetworkAttachment { Network = new EngineNetwork { Id = "n", Spec = new EngineNetworkSpec { Name = "ingress_backend" } }, Addresses = ["10.0.1.5/24"] }],
        };

        var mapped = SwarmServiceMapping.MapServices(services, [task], gatewayNetworks: null, s_noConfiguredNetworks);

        var mappedTask = Assert.Single(Assert.Single(mapped).Tasks);
        Assert.Equal((0, "10.0.1.5", (string?)null), (mappedTask.Slot, mappedTask.Address, mappedTask.ContainerId));
    }

    [Fact]
    public void PickAddress_SkipsTheRoutingMeshNetwork()
    {
        var task = Task("t", "s", Running, Running, ("ingress", "10.255.0.5", true), ("ingress_backend", "10.0.1.5", false));

        Assert.Equal("10.0.1.5", SwarmServiceMapping.PickAddress(task, null, null, s_noConfiguredNetworks));
    }

    [Fact]
    public void PickAddress_PrefersTheNetworkSharedWithTheGateway()
    {
        var task = Task("t", "s", Running, Running, ("ingress_db", "10.0.2.5", false), ("ingress_backend", "10.0.1.5", false));

        Assert.Equal("10.0.1.5", SwarmServiceMapping.PickAddress(task, null, new HashSet<string> { "id-ingress_backend" }, s_noConfiguredNetworks));
        Assert.Null(SwarmServiceMapping.PickAddress(task, null, new HashSet<string> { "id-elsewhere" }, s_noConfiguredNetworks));
    }

    [Fact]
    public void PickAddress_NetworkLabel_MatchesStackPrefixedName()
    {
        var task = Task("t", "s", Running, Running, ("ingress_backend", "10.0.1.5", false), ("ingress_public", "10.0.3.5", false));

        Assert.Equal("10.0.3.5", SwarmServiceMapping.PickAddress(task, "public", null, s_noConfiguredNetworks));
        Assert.Null(SwarmServiceMapping.PickAddress(task, "missing", null, s_noConfiguredNetworks));
    }
}

public sealed class DockerFailureDescriptionTests
{
    [Fact]
    public void Describe_WorkerNodeAnswer_SaysToUseAManagerOrTheDnsSource()
    {
        // The body a worker's engine answers to GET /services.
        var error = new DockerEngineException(System.Net.HttpStatusCode.ServiceUnavailable,
            "{\"message\":\"This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.\"}");

        var description = DockerSwarmSource.Describe(error);

        Assert.Contains("not a swarm manager", description);
        Assert.Contains("node.role == manager", description);
        Assert.Contains("DNS source", description);
    }

    [Fact]
    public void Describe_WrappedCause_IncludesTheInnerMessages()
    {
        var error = new HttpRequestException("The request failed", new IOException("Unexpected end of stream"));

        Assert.Contains("Unexpected end of stream", DockerSwarmSource.Describe(error));
    }
}
