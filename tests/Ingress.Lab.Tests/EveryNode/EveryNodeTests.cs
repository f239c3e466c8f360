using System.Diagnostics;
using System.Text.Json;
using Ingress.Lab.Tests.Common;
using Xunit.Abstractions;

namespace Ingress.Lab.Tests.EveryNode;

/// <summary>
/// One stack.yml, every node: on a real swarm of a manager and two workers, each node answers on 8888 and rotates over
/// every replica, the worker gateways hold no socket and follow the manager gateway, and they learn a change within a
/// second of it.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class EveryNodeTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact, Priority(10)]
    public async Task EveryNode_AnswersOn8888_RotatingOverEveryReplica()
    {
        var nodes = await lab.DockerAsync(1, "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}");
        output.WriteLine(nodes);
        Assert.Equal(LabFixture.Nodes, nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(" Ready", StringComparison.Ordinal)));

        for (var node = 1; node <= LabFixture.Nodes; node++)
        {
            await lab.WaitForRotationAsync(node, Patience);
        }

        var replicas = await lab.RunningReplicasAsync();
        Assert.True(replicas.Values.Distinct().Count() >= 2, $"the hostname replicas all run on one node: {string.Join(", ", replicas)}");
        for (var node = 1; node <= LabFixture.Nodes; node++)
        {
            var bodies = await lab.GetManyAsync(node, 30);
            output.WriteLine($"node {node} ({lab.Ip(node)}): {string.Join(" ", bodies.Take(6))} …");
            Assert.Equal(replicas.Keys.Order(), bodies.Distinct().Order());
            Assert.All(bodies.GroupBy(b => b), g => Assert.Equal(10, g.Count()));
            for (var i = 3; i < bodies.Count; i++)
            {
                Assert.Equal(bodies[i - 3], bodies[i]);
            }
        }
    }

    [Fact, Priority(11)]
    public async Task WorkerGateways_HoldNoSocket_RunAsNonRoot_AndFollowTheManagerGateway()
    {
        for (var node = 2; node <= LabFixture.Nodes; node++)
        {
            var id = (await lab.DockerAsync(node, "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={LabFixture.WorkerGateways}")).Trim();
            Assert.False(string.IsNullOrEmpty(id), $"no worker gateway runs on node {node}");
            var mounts = await lab.DockerAsync(node, "inspect", "--format", "{{range .Mounts}}{{.Source}} {{end}}", id);
            Assert.DoesNotContain("docker.sock", mounts, StringComparison.Ordinal);
            var user = (await lab.DockerAsync(node, "exec", id, "id", "-u")).Trim();
            Assert.Equal("1654", user);

            var state = await Eventually.WaitAsync(() => lab.StateAsync(node), s => s.GetProperty("ready").GetBoolean(), Patience, $"node {node}'s gateway to be ready");
            var control = state.GetProperty("control");
            Assert.Equal("follower", control.GetProperty("role").GetString());
            Assert.True(control.GetProperty("connected").GetBoolean());
            Assert.EndsWith($":{LabFixture.ControlPort}", control.GetProperty("following").GetString(), StringComparison.Ordinal);
            Assert.Equal(["managers"], state.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("source").GetString()));
            Assert.Equal(Summary(await lab.StateAsync(1)), Summary(state));
        }

        var manager = await Eventually.WaitAsync(() => lab.StateAsync(1), s => s.GetProperty("control").GetProperty("followers").GetInt32() == LabFixture.Nodes - 1, Patience, "the manager gateway to count both followers");
        Assert.Equal("manager", manager.GetProperty("control").GetProperty("role").GetString());
        Assert.Equal(["docker"], manager.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("source").GetString()));
    }

    [Fact, Priority(12)]
    public async Task Scaling_ReachesEveryWorkerGateway_WithinASecondOfTheManagerGateway()
    {
        try
        {
            foreach (var replicas in new[] { 5, 3 })
            {
                await lab.DockerAsync(1, "service", "scale", "--detach", $"{LabFixture.HostnameService}={replicas}");
                var seen = await WhenEveryNodeRoutesAsync(replicas);
                var lag = seen.Skip(1).Max() - seen[0];
                output.WriteLine($"{replicas} replicas: manager gateway at {seen[0].TotalMilliseconds:0} ms, workers at {string.Join(", ", seen.Skip(1).Select(t => t.TotalMilliseconds.ToString("0")))} ms: lag {lag.TotalMilliseconds:0} ms");
                Assert.True(lag < TimeSpan.FromSeconds(1), $"a worker gateway routed {replicas} replicas {lag.TotalMilliseconds:0} ms after the manager gateway");
            }
        }
        finally
        {
            await lab.DockerAsync(1, "service", "scale", "--detach", $"{LabFixture.HostnameService}=3");
        }

        for (var node = 1; node <= LabFixture.Nodes; node++)
        {
            await lab.WaitForRotationAsync(node, Patience);
        }
    }

    [Fact, Priority(13)]
    public async Task InvalidLabels_SkipTheSameServiceWithTheSameErrorOnEveryNode()
    {
        const string name = "ingress-lab-invalid";
        var image = (await lab.DockerAsync(1, "service", "inspect", LabFixture.HostnameService, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")).Trim();
        await lab.DockerAsync(1, "service", "create", "--detach", "--name", name, "--network", "ingress_backends", "--endpoint-mode", "dnsrr",
            "--label", "ingress.host=invalid.test", "--label", "ingress.port=8888", "--label", "ingress.lb=fastest", image);
        try
        {
            var errors = new List<string>();
            for (var node = 1; node <= LabFixture.Nodes; node++)
            {
                var state = await Eventually.WaitAsync(() => lab.StateAsync(node), s => Service(s, name) is { } svc && svc.GetProperty("status").GetString() == "invalid", Patience, $"node {node} to show {name} as invalid");
                errors.Add(string.Join("; ", Service(state, name)!.Value.GetProperty("errors").EnumerateArray().Select(e => e.GetString())));
            }

            Assert.Contains("ingress.lb", errors[0], StringComparison.Ordinal);
            Assert.All(errors, e => Assert.Equal(errors[0], e));
            for (var node = 1; node <= LabFixture.Nodes; node++)
            {
                Assert.Equal(3, (await lab.GetManyAsync(node, 6)).Distinct().Count());
            }
        }
        finally
        {
            await lab.DockerAsync(1, "service", "rm", name);
        }
    }

    /// <summary>Every node's gateway, polled together: when each first routes exactly <paramref name="replicas"/> replicas (node 1 first in the list).</summary>
    private async Task<TimeSpan[]> WhenEveryNodeRoutesAsync(int replicas)
    {
        var clock = Stopwatch.StartNew();
        var seen = new TimeSpan?[LabFixture.Nodes];
        // The probe's value is what was seen so far, for the failure message.
        await Eventually.WaitAsync(
            async () =>
            {
                await Task.WhenAll(Enumerable.Range(1, LabFixture.Nodes).Where(n => seen[n - 1] is null).Select(async node =>
                {
                    var state = await lab.StateAsync(node);
                    var at = clock.Elapsed;
                    if (Service(state, LabFixture.HostnameService) is { } service && Routed(service) == replicas)
                    {
                        seen[node - 1] ??= at;
                    }
                }));
                return string.Join(", ", seen);
            },
            _ => seen.All(s => s is not null),
            Patience,
            $"every node to route {replicas} replicas",
            TimeSpan.FromMilliseconds(20));

        return [.. seen.Select(s => s!.Value)];
    }

    private static int Routed(JsonElement service) =>
        service.GetProperty("tasks").EnumerateArray().Count(t => t.GetProperty("health").GetString() is "in rotation" or "healthy");

    private static JsonElement? Service(JsonElement state, string name)
    {
        foreach (var service in state.GetProperty("services").EnumerateArray())
        {
            if (service.GetProperty("name").GetString() == name)
            {
                return service;
            }
        }

        return null;
    }

    /// <summary>What routing a gateway does: each service, its status, routes and task addresses.</summary>
    private static string Summary(JsonElement state) => string.Join("\n", state.GetProperty("services").EnumerateArray().Select(s =>
        $"{s.GetProperty("name").GetString()} {s.GetProperty("status").GetString()} [{string.Join(",", s.GetProperty("routes").EnumerateArray().Select(r => r.GetString()))}] " +
        string.Join(",", s.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("address").GetString()).Order())));
}
