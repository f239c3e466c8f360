using System.Text.Json;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Discovery.Docker.Engine;

namespace Ingress.Gateway.Tests.Discovery.Docker.Engine;

/// <summary>
/// The models and their JSON context against answers captured from a real engine (Engine 20.10.24, API 1.41, the
/// single-node swarm of scripts/up.sh, 2026-12-03, with <c>curl --unix-socket /var/run/docker.sock</c>): the files in
/// Captured/ are the engine's bytes, unedited.
/// </summary>
public sealed class EngineJsonTests
{
    private const string Hostname = "1sx6l3p8qcoxr27njmkin3uwf";
    private const string Gateway = "qqfk217pla2qmspheqtnwvjod";
    private const string Node = "p95htftwx7lycbgkvnjcke0js";
    private const string Backends = "bag8dh0qsuz10e9rrjq57zgny";

    [Fact]
    public void Services_ReadIdNameLabelsAndCreationTime()
    {
        var services = Read("services.json", EngineJsonContext.Default.IReadOnlyListEngineService);

        Assert.Equal(5, services.Count);
        var hostname = Assert.Single(services, s => s.Id == Hostname);
        Assert.Equal("ingress_hostname", hostname.Spec?.Name);
        Assert.Equal("8888:8888", hostname.Spec?.Labels?["ingress.publish"]);
        Assert.Equal("ingress", hostname.Spec?.Labels?["com.docker.stack.namespace"]);
        // "2026-12-02T17:50:07.175068151Z": nanoseconds, of which .NET keeps the first seven digits.
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 17, 50, 7, TimeSpan.Zero).AddTicks(1750681), hostname.CreatedAt);
    }

    [Fact]
    public void Tasks_ReadSlotStatesContainerAndNetworks_GlobalTaskHasNoSlot()
    {
        var tasks = Read("tasks-running.json", EngineJsonContext.Default.IReadOnlyListEngineTask);

        Assert.Equal(4, tasks.Count);
        var replica = Assert.Single(tasks, t => t.Id == "a1qyqbyfufdt78ag2yxpyqlvf");
        Assert.Equal((Hostname, Node, 1L, "running", "running"), (replica.ServiceId, replica.NodeId, replica.Slot, replica.DesiredState, replica.Status?.State));
        Assert.Equal("1417aabe36389c341617e9cfc7adb1009b4c082fb75ea1c9c58d9f02656deb9d", replica.Status?.ContainerStatus?.ContainerId);
        var attachment = Assert.Single(replica.NetworksAttachments!);
        Assert.Equal((Backends, "ingress_backends", (bool?)null), (attachment.Network?.Id, attachment.Network?.Spec?.Name, attachment.Network?.Spec?.Ingress));
        Assert.Equal(["10.0.1.2/24"], attachment.Addresses);

        var global = Assert.Single(tasks, t => t.ServiceId == Gateway);
        Assert.Null(global.Slot);
        Assert.Equal(["ingress_backends", "ingress_control", "ingress_monitoring"], global.NetworksAttachments!.Select(a => a.Network?.Spec?.Name));
    }

    [Fact]
    public void ServicesAndTasks_MapToTheLabelledServiceWithItsThreeReplicas()
    {
        var services = Read("services.json", EngineJsonContext.Default.IReadOnlyListEngineService);
        var tasks = Read("tasks-running.json", EngineJsonContext.Default.IReadOnlyListEngineTask);
        var container = Read("container-gateway.json", EngineJsonContext.Default.EngineContainer);
        var gatewayNetworks = new HashSet<string>(container.NetworkSettings!.Networks!.Values.Select(n => n!.NetworkId!));

        var mapped = SwarmServiceMapping.MapServices(services, tasks, gatewayNetworks, []);

        // Every service is mapped (the source lists only the labelled ones); the tasks are the hostname's three replicas.
        Assert.Equal(["ingress_gateway", "ingress_gateway-worker", "ingress_grafana", "ingress_hostname", "ingress_prometheus"], mapped.Select(s => s.Name));
        var service = Assert.Single(mapped, s => s.Name == "ingress_hostname");
        Assert.Equal(("ingress_hostname", Hostname), (service.Name, service.Id));
        Assert.Equal(["ingress.publish"], service.Labels.Keys);
        Assert.Single(Assert.Single(mapped, s => s.Name == "ingress_gateway").Tasks);
        Assert.Equal([(1, "10.0.1.2"), (2, "10.0.1.3"), (3, "10.0.1.9")], service.Tasks.Select(t => (t.Slot, t.Address)));
        Assert.All(service.Tasks, t => Assert.Equal(Node, t.NodeId));
    }

    [Fact]
    public void Container_ReadsNetworksByNameWithTheirIds()
    {
        var container = Read("container-gateway.json", EngineJsonContext.Default.EngineContainer);

        Assert.Equal(
            new Dictionary<string, string?> { ["ingress_backends"] = Backends, ["ingress_control"] = "dozf8emtpbppi1tj4g574nksm", ["ingress_monitoring"] = "97wt7wddnmhrn8kffizq4q5vb" },
            container.NetworkSettings!.Networks!.ToDictionary(n => n.Key, n => n.Value?.NetworkId));
    }

    [Fact]
    public void InfoAndNode_ReadTheSwarmRoleAndLeadership()
    {
        var info = Read("info.json", EngineJsonContext.Default.EngineInfo);
        var node = Read("node-leader.json", EngineJsonContext.Default.EngineNode);

        Assert.Equal((Node, true), (info.Swarm?.NodeId, info.Swarm?.ControlAvailable));
        Assert.True(node.ManagerStatus?.Leader);
    }

    [Fact]
    public void Events_EachLineReadsTypeAndAction()
    {
        var lines = File.ReadAllLines(PathOf("events.jsonl"));

        var events = lines.Select(l => JsonSerializer.Deserialize(l, EngineJsonContext.Default.EngineEvent)!).ToList();

        Assert.Equal(51, events.Count);
        Assert.Equal(("service", "update"), (events[0].Type, events[0].Action));
        Assert.Equal(("container", "stop"), (events[^1].Type, events[^1].Action));
        Assert.All(events, e => Assert.Contains(e.Type, new[] { "service", "container" }));
        // The filter "health_status" matches the engine's "health_status: healthy".
        Assert.Equal(5, events.Count(e => e.Action == "health_status: healthy"));
    }

    [Fact]
    public void ErrorBody_GivesTheEnginesMessage()
    {
        var exception = new DockerEngineException(System.Net.HttpStatusCode.NotFound, File.ReadAllText(PathOf("container-404.json")));

        Assert.Equal("Docker API answered 404: No such container: no-such-container", exception.Message);
        Assert.Equal("not json", DockerEngineException.EngineMessage(" not json\n"));
    }

    private static string PathOf(string file) =>
        Repository.PathOf("tests", "Ingress.Gateway.Tests", "Discovery", "Docker", "Engine", "Captured", file);

    private static T Read<T>(string file, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(File.ReadAllText(PathOf(file)), type) ?? throw new InvalidDataException(file);
}
