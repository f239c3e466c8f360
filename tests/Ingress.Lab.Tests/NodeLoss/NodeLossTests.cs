using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ingress.Lab.Tests.Common;
using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Running;
using Xunit.Abstractions;

namespace Ingress.Lab.Tests.NodeLoss;

/// <summary>
/// A node powered off under load (its link cut first, then every process killed: no FIN, no RST) costs nothing: no
/// failed request with a 10 s client timeout, none longer than 2 s, the dead node's replica out of rotation at once and
/// the rescheduled one in within a second of running. Then a node joins and answers within seconds, and with two more
/// managers, the workers follow another manager gateway when theirs goes. These change the lab for good, so they run
/// last.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class NodeLossTests(LabFixture lab, ITestOutputHelper output)
{
    private const int Victim = 3;
    private const double RatePerNode = 100;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact, Priority(30)]
    public async Task NodePoweredOff_UnderLoad_NoFailedRequest_NoneOverTwoSeconds()
    {
        var replicas = await SpreadOverEveryNodeAsync();
        var victimNodeId = (await lab.DockerAsync(Victim, "info", "--format", "{{.Swarm.NodeID}}")).Trim();
        var doomed = replicas.Single(r => r.Value == victimNodeId).Key;
        output.WriteLine($"replicas: {string.Join(", ", replicas.Select(r => $"{r.Key}@{r.Value[..8]}"))}; node {Victim} runs {doomed}");

        DateTimeOffset? poweredOff = null;
        var watch = WatchRotationAsync(doomed, () => poweredOff);
        var reports = await Task.WhenAll(
            LoadAsync(1, [new("power node 3 off", TimeSpan.FromSeconds(5), async ct => poweredOff = await PowerOffAsync(ct))]),
            LoadAsync(2, []));
        var rotation = await watch;

        foreach (var report in reports)
        {
            output.WriteLine($"{report.Target}: {report.Requests} requests, {report.Failures} failed (5xx {report.ServerErrors}, transport {report.TransportErrors.Total}), " +
                $"p99 {report.Latency.P99Ms:0.0} ms, max {report.Latency.MaxMs:0.0} ms; statuses {string.Join(", ", report.StatusCodes.Select(c => $"{c.Key}={c.Value}"))}; " +
                $"replicas {string.Join(", ", report.HostNames?.Select(h => $"{h.Key}={h.Value}") ?? [])}");
            foreach (var second in report.Timeline.Where(s => s.P99Ms > 100 || s.Failures > 0))
            {
                output.WriteLine($"  t={second.ElapsedSeconds,5:0.0}s rps={second.RequestsPerSecond,5:0} failures={second.Failures} p99={second.P99Ms,7:0.0} ms");
            }

            Assert.All(report.Actions, a => Assert.True(a.Succeeded, $"{a.Name}: {a.Error}"));
            Assert.Equal(0, report.Failures);
            Assert.True(report.Latency.MaxMs < 2000, $"{report.Target}: a request took {report.Latency.MaxMs:0} ms");
        }

        output.WriteLine(rotation.Describe());
        Assert.NotNull(poweredOff);
        Assert.True(rotation.DoomedLeft is { } left && left - poweredOff.Value < TimeSpan.FromSeconds(2.5),
            $"the dead replica left rotation {(rotation.DoomedLeft - poweredOff)?.TotalMilliseconds:0} ms after the power-off");
        Assert.False(rotation.DoomedCameBack, "the dead replica came back into rotation before Swarm removed it");
        Assert.NotNull(rotation.Replacement);
        Assert.All(rotation.JoinLag, lag => Assert.True(lag < TimeSpan.FromSeconds(1), $"the rescheduled replica joined a gateway's rotation {lag.TotalMilliseconds:0} ms after it was running"));
    }

    [Fact, Priority(31)]
    public async Task NodeJoins_AnswersOn8888_WithinSecondsOfItsGatewayRunning()
    {
        var added = await LabFixture.RunAsync(TimeSpan.FromMinutes(5), "add-node");
        output.WriteLine(added);
        var node = (await NodeNumbersAsync()).Max();
        await lab.IpAsync(node);

        var running = await Eventually.WaitAsync(
            async () => (await lab.DockerAsync(node, "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={LabFixture.WorkerGateways}", "--filter", "health=healthy")).Trim(),
            s => s.Length > 0, Patience, $"a gateway task to run on node {node}", TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        await Eventually.WaitAsync(async () => (await lab.GetManyAsync(node, 3)).Distinct().Count() == 3, TimeSpan.FromSeconds(30), $"node {node} to rotate over the replicas", TimeSpan.FromMilliseconds(50));

        output.WriteLine($"node {node} rotated over every replica {clock.ElapsedMilliseconds} ms after its gateway task ({running}) was running");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact, Priority(40)]
    public async Task FollowedManagerGatewayGone_WorkersFollowAnotherManagerGateway()
    {
        // Two more managers join: three manager gateways behind the alias gateway-managers.
        var before = await NodeNumbersAsync();
        await LabFixture.RunAsync(TimeSpan.FromMinutes(5), "add-node", "--manager");
        await LabFixture.RunAsync(TimeSpan.FromMinutes(5), "add-node", "--manager");
        var managers = (await NodeNumbersAsync()).Except(before).Prepend(1).ToArray();
        foreach (var added in managers)
        {
            await lab.IpAsync(added);
            await Eventually.WaitAsync(async () => (await GatewayContainerAsync(added, healthy: true)).Length > 0, Patience, $"the manager gateway on node {added} to run");
        }

        var followed = await Eventually.WaitAsync(() => lab.StateAsync(2), s => s.GetProperty("control").GetProperty("connected").GetBoolean(), Patience, "node 2 to follow a manager gateway");
        var manager = followed.GetProperty("control").GetProperty("manager").GetString()!;
        var node = await FindAsync(managers, async n => (await GatewayContainerAsync(n, healthy: false)).StartsWith(manager, StringComparison.Ordinal));
        output.WriteLine($"node 2 follows {manager} on node {node}, of the manager gateways on nodes {string.Join(", ", managers)}");

        var clock = Stopwatch.StartNew();
        await lab.DockerAsync(node, "kill", await GatewayContainerAsync(node, healthy: false));
        var moved = await Eventually.WaitAsync(() => lab.StateAsync(2), s => s.GetProperty("control") is var c && c.GetProperty("connected").GetBoolean() && c.GetProperty("manager").GetString() != manager,
            TimeSpan.FromSeconds(30), "node 2 to follow another manager gateway", TimeSpan.FromMilliseconds(100));
        output.WriteLine($"node 2 follows {moved.GetProperty("control").GetProperty("manager").GetString()} {clock.ElapsedMilliseconds} ms after the kill");

        // And learns through it: a scale change reaches node 2.
        try
        {
            await lab.DockerAsync(1, "service", "scale", "--detach", $"{LabFixture.HostnameService}=4");
            await lab.WaitForRotationAsync(2, Patience, replicas: 4);
        }
        finally
        {
            await lab.DockerAsync(1, "service", "scale", "--detach", $"{LabFixture.HostnameService}=3");
        }
    }

    private static async Task<int[]> NodeNumbersAsync() =>
        [.. (await LabFixture.RunAsync(TimeSpan.FromSeconds(30), "nodes")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 5 && int.TryParse(f[0], out _) && f[4] == "alive")
            .Select(f => int.Parse(f[0], CultureInfo.InvariantCulture))];

    private async Task<string> GatewayContainerAsync(int node, bool healthy) =>
        (await lab.DockerAsync(node, ["ps", "-q", "--filter", $"label=com.docker.swarm.service.name={LabFixture.ManagerGateways}", .. healthy ? new[] { "--filter", "health=healthy" } : []])).Trim();

    private static async Task<int> FindAsync(int[] nodes, Func<int, Task<bool>> match)
    {
        foreach (var node in nodes)
        {
            if (await match(node))
            {
                return node;
            }
        }

        throw new InvalidOperationException("no node matches");
    }

    /// <summary>Three replicas, one per node, so that the victim runs one: the scheduler spreads them, a forced update re-spreads.</summary>
    private async Task<Dictionary<string, string>> SpreadOverEveryNodeAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            await Eventually.WaitAsync(async () => (await lab.RunningReplicasAsync()).Count == 3, Patience, "3 running hostname replicas");
            var replicas = await lab.RunningReplicasAsync();
            if (replicas.Values.Distinct().Count() == LabFixture.Nodes)
            {
                for (var node = 1; node <= LabFixture.Nodes; node++)
                {
                    await lab.WaitForRotationAsync(node, Patience);
                }

                return replicas;
            }

            Assert.True(attempt < 3, $"the replicas do not spread over the {LabFixture.Nodes} nodes: {string.Join(", ", replicas)}");
            await lab.DockerAsync(1, "service", "update", "--force", "--detach", LabFixture.HostnameService);
            var replaced = replicas.Keys.ToHashSet();
            await Eventually.WaitAsync(async () => (await lab.RunningReplicasAsync()).Keys.ToHashSet(), now => now.Count == 3 && !now.Overlaps(replaced), Patience, "the forced update to replace every replica");
        }
    }

    private async Task<DateTimeOffset> PowerOffAsync(CancellationToken cancellationToken)
    {
        var printed = await LabFixture.RunAsync(TimeSpan.FromMinutes(1), "kill-node", Victim.ToString(CultureInfo.InvariantCulture));
        output.WriteLine(printed.Trim());
        var stamp = printed.Split(['\n', ' '], StringSplitOptions.RemoveEmptyEntries).Select(w => double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 1e9 ? s : (double?)null).LastOrDefault(s => s is not null)
            ?? throw new InvalidOperationException("kill-node printed no link-down time: " + printed);
        return DateTimeOffset.FromUnixTimeMilliseconds((long)(stamp * 1000));
    }

    /// <summary>Steady open-model load through one surviving node, with the client timeout of the issue (10 s).</summary>
    private Task<LoadReport> LoadAsync(int node, IReadOnlyList<TimedAction> actions) => LoadRunner.RunAsync(new LoadOptions
    {
        Scenario = $"node loss via node {node}",
        Target = new Uri($"http://{lab.Ip(node)}:{LabFixture.EntryPort}/"),
        AllowedHosts = [lab.Ip(node)],
        Model = LoadModel.Open,
        RequestsPerSecond = RatePerNode,
        Connections = 32,
        Warmup = TimeSpan.FromSeconds(2),
        Duration = TimeSpan.FromSeconds(50),
        RequestTimeout = TimeSpan.FromSeconds(10),
        TrackHostNames = true,
        Actions = actions,
    });

    /// <summary>
    /// Watches both surviving gateways every 50 ms: when the dead node's replica leaves their rotation (and whether it
    /// comes back before Swarm removes it), and when the replica Swarm starts elsewhere joins it, against the time that
    /// task's state turned running.
    /// </summary>
    private async Task<RotationTimeline> WatchRotationAsync(string doomed, Func<DateTimeOffset?> poweredOff)
    {
        var timeline = new RotationTimeline();
        var clock = Stopwatch.StartNew();
        var joined = new Dictionary<int, DateTimeOffset>();
        string? replacementTask = null;
        while (clock.Elapsed < Patience && (joined.Count < 2 || replacementTask is null))
        {
            var now = DateTimeOffset.UtcNow;
            var off = poweredOff();
            var inRotation = false;
            foreach (var node in new[] { 1, 2 })
            {
                JsonElement state;
                try
                {
                    state = await lab.StateAsync(node);
                }
                catch (HttpRequestException)
                {
                    continue;
                }

                foreach (var task in Tasks(state))
                {
                    var host = task.GetProperty("hostname").GetString();
                    var routed = task.GetProperty("health").GetString() is "in rotation" or "healthy";
                    if (host == doomed)
                    {
                        inRotation |= routed;
                    }
                    else if (off is not null && routed && !timeline.Before.Contains(host!) && !joined.ContainsKey(node))
                    {
                        joined[node] = now;
                        replacementTask = task.GetProperty("id").GetString();
                        timeline.Replacement = host;
                    }
                }

                if (off is null)
                {
                    foreach (var task in Tasks(state))
                    {
                        timeline.Before.Add(task.GetProperty("hostname").GetString()!);
                    }
                }
            }

            if (off is not null)
            {
                if (!inRotation && timeline.DoomedLeft is null)
                {
                    timeline.DoomedLeft = now;
                }
                else if (inRotation && timeline.DoomedLeft is not null)
                {
                    timeline.DoomedCameBack = true;
                }
            }

            await Task.Delay(50);
        }

        if (replacementTask is not null)
        {
            var runningSince = DateTimeOffset.Parse((await lab.DockerAsync(1, "inspect", "--format", "{{.Status.Timestamp.Format \"2006-01-02T15:04:05.000Z07:00\"}}", replacementTask)).Trim(), CultureInfo.InvariantCulture);
            timeline.ReplacementRunning = runningSince;
            timeline.JoinLag = [.. joined.Values.Select(j => j - runningSince)];
        }

        timeline.PoweredOff = poweredOff();
        return timeline;
    }

    private static IEnumerable<JsonElement> Tasks(JsonElement state) =>
        state.GetProperty("services").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString() == LabFixture.HostnameService)
            .SelectMany(s => s.GetProperty("tasks").EnumerateArray());

    private sealed class RotationTimeline
    {
        public HashSet<string> Before { get; } = [];

        public DateTimeOffset? PoweredOff { get; set; }

        public DateTimeOffset? DoomedLeft { get; set; }

        public bool DoomedCameBack { get; set; }

        public string? Replacement { get; set; }

        public DateTimeOffset? ReplacementRunning { get; set; }

        public List<TimeSpan> JoinLag { get; set; } = [];

        public string Describe() =>
            $"powered off {PoweredOff:HH:mm:ss.fff}; dead replica out of rotation on both surviving gateways {(DoomedLeft - PoweredOff)?.TotalMilliseconds:0} ms later" +
            $"{(DoomedCameBack ? ", but it came back" : "")}; replacement {Replacement} running at {ReplacementRunning:HH:mm:ss.fff} " +
            $"({(ReplacementRunning - PoweredOff)?.TotalSeconds:0.0} s after the power-off), in rotation {string.Join(" and ", JoinLag.Select(l => $"{l.TotalMilliseconds:0} ms"))} later";
    }
}
