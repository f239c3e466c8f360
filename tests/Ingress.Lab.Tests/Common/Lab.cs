using System.Globalization;
using System.Text.Json;

namespace Ingress.Lab.Tests.Common;

/// <summary>
/// A real swarm of several nodes on this machine, one dockerd per network namespace, made by <c>scripts/lab.sh</c>
/// (<c>up 3</c>: node 1 a manager, nodes 2 and 3 workers), with the project's images loaded and the same
/// <c>stack.yml</c> deployed. Torn down afterwards (<c>LAB_KEEP=1</c> keeps it, for a look). No root or no Docker means
/// a failing test, never a skipped one.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    public const int Nodes = 3;
    public const string Stack = "ingress";
    public const string HostnameService = Stack + "_hostname";
    public const string ManagerGateways = Stack + "_gateway";
    public const string WorkerGateways = Stack + "_gateway-worker";
    public const int EntryPort = 8888;
    public const int AdminPort = 8080;
    public const int ControlPort = 8081;

    private readonly Dictionary<int, string> _ips = [];

    public static string Script => Repository.PathOf("scripts", "lab.sh");

    public async Task InitializeAsync()
    {
        await RunAsync(TimeSpan.FromMinutes(2), "down");
        await RunAsync(TimeSpan.FromMinutes(5), "up", Nodes.ToString(CultureInfo.InvariantCulture));
        await RunAsync(TimeSpan.FromMinutes(5), "load");
        await RunAsync(TimeSpan.FromMinutes(5), "deploy");
        for (var node = 1; node <= Nodes; node++)
        {
            await IpAsync(node);
        }
    }

    public async Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("LAB_KEEP") != "1")
        {
            await RunAsync(TimeSpan.FromMinutes(2), "down");
        }
    }

    /// <summary>Node <paramref name="node"/>'s address on the lab's bridge.</summary>
    public string Ip(int node) => _ips[node];

    public async Task<string> IpAsync(int node)
    {
        if (!_ips.TryGetValue(node, out var ip))
        {
            _ips[node] = ip = (await RunAsync(TimeSpan.FromSeconds(30), "ip", node.ToString(CultureInfo.InvariantCulture))).Trim();
        }

        return ip;
    }

    /// <summary>A client of a node's port, with the 10 s timeout the clients use.</summary>
    public HttpClient Client(int node, int port) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), UseProxy = false })
        {
            BaseAddress = new Uri($"http://{Ip(node)}:{port}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>Runs the docker client against node <paramref name="node"/>'s engine.</summary>
    public Task<string> DockerAsync(int node, params string[] args) =>
        RunAsync(TimeSpan.FromMinutes(2), ["docker", node.ToString(CultureInfo.InvariantCulture), .. args]);

    /// <summary>Runs <c>scripts/lab.sh</c>; fails with its output.</summary>
    public static Task<string> RunAsync(TimeSpan timeout, params string[] args) => Shell.RunAsync("bash", [Script, .. args], timeout);

    /// <summary>The gateway's <c>/api/state</c> on a node.</summary>
    public async Task<JsonElement> StateAsync(int node)
    {
        using var admin = Client(node, AdminPort);
        return JsonDocument.Parse(await admin.GetStringAsync("/api/state")).RootElement.Clone();
    }

    /// <summary>The host names of the hostname service's tasks that are running and meant to run, with their nodes.</summary>
    public async Task<Dictionary<string, string>> RunningReplicasAsync()
    {
        var lines = await DockerAsync(1, "service", "ps", HostnameService, "--filter", "desired-state=running", "--format", "{{.ID}}");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = (await DockerAsync(1, "inspect", "--format", "{{.Status.State}} {{.Status.ContainerStatus.ContainerID}} {{.NodeID}}", id)).Trim().Split(' ');
            if (fields.Length == 3 && fields[0] == "running" && fields[1].Length >= 12)
            {
                result[fields[1][..12]] = fields[2];
            }
        }

        return result;
    }

    /// <summary>Sequential GETs to a node's entry port; the bodies, in order.</summary>
    public async Task<List<string>> GetManyAsync(int node, int count)
    {
        using var entry = Client(node, EntryPort);
        var bodies = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            bodies.Add(await entry.GetStringAsync("/"));
        }

        return bodies;
    }

    /// <summary>Waits until node <paramref name="node"/> rotates over exactly the running hostname replicas.</summary>
    public async Task WaitForRotationAsync(int node, TimeSpan timeout, int replicas = 3)
    {
        await Eventually.WaitAsync(
            async () => (Expected: (await RunningReplicasAsync()).Keys.ToHashSet(), Seen: (await GetManyAsync(node, 4 * replicas)).ToHashSet()),
            r => r.Expected.Count == replicas && r.Seen.SetEquals(r.Expected),
            timeout,
            $"node {node} to rotate over the {replicas} running hostname replicas",
            TimeSpan.FromMilliseconds(500));
    }
}

[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
