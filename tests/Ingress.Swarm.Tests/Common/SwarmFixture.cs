namespace Ingress.Swarm.Tests.Common;

/// <summary>
/// The real thing: a dockerd, a single-node swarm and the <c>ingress</c> stack, brought up by <c>scripts/up.sh</c>
/// (idempotent, seconds when already up). No Docker means a failing test, never a skipped one.
/// </summary>
public sealed class SwarmFixture : IAsyncLifetime
{
    public const string Stack = "ingress";
    public const string HostnameService = Stack + "_hostname";
    public const string GatewayService = Stack + "_gateway";
    public const string Network = Stack + "_backends";
    public const int EntryPort = 8888;
    public const int AdminPort = 8080;

    public HttpClient Entry { get; } = new() { BaseAddress = new Uri($"http://127.0.0.1:{EntryPort}/"), Timeout = TimeSpan.FromSeconds(10) };

    public HttpClient Admin { get; } = new() { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}/"), Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The image the stack's gateway runs, for extra test gateways.</summary>
    public string GatewayImage { get; private set; } = "";

    /// <summary>The image the stack's hostname service runs, for extra test services.</summary>
    public string HostnameImage { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var up = Repository.PathOf("scripts", "up.sh");
        var result = await Shell.TryRunAsync("bash", [up], TimeSpan.FromMinutes(20));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/up.sh failed (exit {result.ExitCode}); these tests need a Docker engine and a swarm, which up.sh installs and starts as root.{Environment.NewLine}{result.Output}");
        }

        GatewayImage = (await Shell.DockerAsync("service", "inspect", GatewayService, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")).Trim();
        HostnameImage = (await Shell.DockerAsync("service", "inspect", HostnameService, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")).Trim();
        await ScaleAsync(HostnameService, 3);
        await WaitForRotationAsync(Entry, TimeSpan.FromSeconds(120));
    }

    public Task DisposeAsync()
    {
        Entry.Dispose();
        Admin.Dispose();
        return Task.CompletedTask;
    }

    public static Task ScaleAsync(string service, int replicas) =>
        Shell.DockerAsync("service", "scale", "--detach", $"{service}={replicas}");

    /// <summary>The host names (container ID prefixes) of the service's tasks that are running and meant to run.</summary>
    public static async Task<HashSet<string>> RunningHostnamesAsync(string service)
    {
        var ids = (await Shell.DockerAsync("service", "ps", service, "-q", "--filter", "desired-state=running"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
        {
            return [];
        }

        var lines = await Shell.DockerAsync(["inspect", "--format", "{{.Status.State}} {{.Status.ContainerStatus.ContainerID}}", .. ids]);
        return [.. lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Where(p => p.Length == 2 && p[0] == "running" && p[1].Length >= 12)
            .Select(p => p[1][..12])];
    }

    /// <summary>Sends <paramref name="count"/> sequential GETs and returns the bodies in order.</summary>
    public static async Task<List<string>> GetManyAsync(HttpClient client, int count, string path = "/")
    {
        var bodies = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            bodies.Add(await client.GetStringAsync(path));
        }

        return bodies;
    }

    /// <summary>Waits until the gateway behind <paramref name="client"/> rotates over exactly the running tasks of the stack's hostname service.</summary>
    public static async Task WaitForRotationAsync(HttpClient client, TimeSpan timeout, int replicas = 3)
    {
        await Eventually.WaitAsync(
            async () => (Expected: await RunningHostnamesAsync(HostnameService), Seen: (await GetManyAsync(client, 4 * replicas)).ToHashSet()),
            r => r.Expected.Count == replicas && r.Seen.SetEquals(r.Expected),
            timeout,
            $"{replicas} running hostname tasks, all in the gateway's rotation");
    }
}

[CollectionDefinition(Name)]
public sealed class SwarmCollection : ICollectionFixture<SwarmFixture>
{
    public const string Name = "swarm";
}
