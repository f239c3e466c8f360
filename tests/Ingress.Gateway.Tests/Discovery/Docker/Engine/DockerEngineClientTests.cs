using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Discovery.Docker.Engine;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Discovery.Docker.Engine;

/// <summary>
/// <see cref="DockerEngineClient"/> against the real engine at /var/run/docker.sock, read-only: what it reads is what
/// the docker CLI reads. A machine without the engine fails these tests (CI=true included), it does not skip them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerEngineClientTests
{
    private const string Socket = "/var/run/docker.sock";

    private static readonly EngineFilters s_gatewayEvents = new EngineFilters()
        .Add("type", "service", "container")
        .Add("event", "create", "update", "remove", "start", "die", "stop", "kill", "health_status");

    [Fact]
    public async Task ListServicesAsync_ListsWhatTheCliLists()
    {
        using var docker = Connect();
        var stack = await CliLinesAsync("service", "ls", "-q", "--filter", "label=com.docker.stack.namespace=ingress");
        var before = await CliLinesAsync("service", "ls", "-q");

        var services = await docker.ListServicesAsync(CancellationToken.None);
        var after = await CliLinesAsync("service", "ls", "-q");

        // Other engineers' services may come and go around the call: it lists those there before and after, and the stack's.
        var listed = services.Select(s => s.Id[..12]).ToHashSet();
        Assert.NotEmpty(stack);
        Assert.Subset(listed, stack.ToHashSet());
        Assert.Subset(listed, before.Intersect(after).ToHashSet());
        Assert.Subset(before.Union(after).ToHashSet(), listed);
        Assert.All(services, s => Assert.False(string.IsNullOrEmpty(s.Spec?.Name)));
    }

    [Fact]
    public async Task ListTasksAsync_WithDesiredStateFilter_ReturnsOnlyThoseTasks()
    {
        using var docker = Connect();
        var hostname = (await CliLinesAsync("service", "ls", "-q", "--filter", "name=ingress_hostname")).Single();

        var running = await docker.ListTasksAsync(new EngineFilters().Add("desired-state", "running"), CancellationToken.None);
        var shutdown = await docker.ListTasksAsync(new EngineFilters().Add("desired-state", "shutdown"), CancellationToken.None);

        Assert.All(running, t => Assert.Equal(EngineTaskStates.Running, t.DesiredState));
        Assert.All(shutdown, t => Assert.NotEqual(EngineTaskStates.Running, t.DesiredState));
        var replicas = running.Where(t => t.ServiceId!.StartsWith(hostname, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(replicas);
        Assert.All(replicas, t => Assert.NotEmpty(t.NetworksAttachments![0].Addresses!));
    }

    [Fact]
    public async Task InspectContainerAsync_ReadsNetworks_MissingContainerIsNull()
    {
        using var docker = Connect();
        var id = (await CliLinesAsync("ps", "-q", "--filter", "label=com.docker.swarm.service.name=ingress_hostname")).First();
        var cli = await CliLinesAsync("inspect", id, "--format", "{{range $name, $n := .NetworkSettings.Networks}}{{$name}}={{$n.NetworkID}}\n{{end}}");

        var container = await docker.InspectContainerAsync(id, CancellationToken.None);
        var missing = await docker.InspectContainerAsync("no-such-container-" + Guid.NewGuid().ToString("N"), CancellationToken.None);

        Assert.Equal(cli.Order(), container!.NetworkSettings!.Networks!.Select(n => $"{n.Key}={n.Value?.NetworkId}").Order());
        Assert.Null(missing);
    }

    [Fact]
    public async Task InfoAndNode_TellTheLeader_MissingNodeIsAnErrorWithTheEnginesMessage()
    {
        using var docker = Connect();
        var cliNode = (await CliLinesAsync("info", "--format", "{{.Swarm.NodeID}}")).Single();

        var info = await docker.GetInfoAsync(CancellationToken.None);
        var node = await docker.InspectNodeAsync(info.Swarm!.NodeId!, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DockerEngineException>(() => docker.InspectNodeAsync("no-such-node", CancellationToken.None));

        Assert.Equal((cliNode, true), (info.Swarm.NodeId, info.Swarm.ControlAvailable));
        Assert.True(node.ManagerStatus?.Leader);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("Docker API answered 404: node no-such-node not found", error.Message);
    }

    [Fact]
    public async Task MonitorEventsAsync_SinceUntilWindow_ReadsWhatTheCliReads()
    {
        using var docker = Connect();
        // The last minute: the engine keeps only its last 1024 events, and the stack's health checks add a few every
        // few seconds (exec_create, exec_start, exec_die), so a minute has some and none leaves during the test.
        var until = DateTimeOffset.UtcNow.AddSeconds(-1);
        var since = until.AddSeconds(-60);
        string[] window = ["events", "--since", since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "--until", until.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "--format", "{{.Type}} {{.Action}}"];
        var cliAll = await CliLinesAsync(window);
        var cliGateway = await CliLinesAsync([.. window,
            "--filter", "type=service", "--filter", "type=container",
            "--filter", "event=create", "--filter", "event=update", "--filter", "event=remove", "--filter", "event=start",
            "--filter", "event=die", "--filter", "event=stop", "--filter", "event=kill", "--filter", "event=health_status"]);

        var all = await ReadAllAsync(docker.MonitorEventsAsync(new EngineFilters(), since, until, CancellationToken.None));
        var gateway = await ReadAllAsync(docker.MonitorEventsAsync(s_gatewayEvents, since, until, CancellationToken.None));

        Assert.NotEmpty(all);
        Assert.Equal(cliAll, all);
        Assert.Equal(cliGateway, gateway);
        Assert.True(gateway.Count < all.Count, "the filters reach the engine");
    }

    [Fact]
    public async Task MonitorEventsAsync_OpenStream_YieldsEachEventAsItArrives_AndStopsWhenCancelled()
    {
        using var docker = Connect();
        using var cancel = new CancellationTokenSource();

        // No "until": the engine replays the last minute's events (see above), then keeps the stream open. The first one must come out
        // while the stream is still open, and cancelling must end the wait for the next.
        var stream = docker.MonitorEventsAsync(new EngineFilters(), DateTimeOffset.UtcNow.AddSeconds(-60), cancellationToken: cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = stream.MoveNextAsync().AsTask();
        try
        {
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10)), "the stream ended before its first event");
            Assert.NotEmpty(stream.Current.Type);

            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                while (await (next = stream.MoveNextAsync().AsTask()).WaitAsync(TimeSpan.FromSeconds(10)))
                {
                }
            });
        }
        finally
        {
            // An iterator is disposed only once its pending step has ended.
            cancel.Cancel();
            await next.ContinueWith(static _ => { }, TaskScheduler.Default);
            await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task ListServicesAsync_NoEngineOnTheSocket_IsUnreachable_AsDescribed()
    {
        using var docker = DockerClientFactory.Create(new DockerDiscoveryOptions { Endpoint = $"unix:///tmp/ingress-no-engine-{Guid.NewGuid():N}.sock" });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => docker.ListServicesAsync(CancellationToken.None));

        Assert.IsType<SocketException>(error.InnerException);
        Assert.StartsWith("cannot reach the Docker API: ", DockerSwarmSource.Describe(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListServicesAsync_EngineNeverAnswers_TimesOutAfterTheRequestTimeout()
    {
        // A socket that takes connections into its backlog and never answers.
        var path = Path.Combine(Path.GetTempPath(), $"ingress-silent-{Guid.NewGuid():N}.sock");
        using var silent = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        silent.Bind(new UnixDomainSocketEndPoint(path));
        silent.Listen(8);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var docker = DockerClientFactory.Create(new DockerDiscoveryOptions { Endpoint = "unix://" + path, RequestTimeout = TimeSpan.FromSeconds(5) }, time);
        try
        {
            var call = docker.ListServicesAsync(CancellationToken.None);
            await Continually.HoldsAsync(() => !call.IsCompleted, TimeSpan.FromMilliseconds(300), "the call waits for the engine");
            time.Advance(TimeSpan.FromSeconds(5));

            var error = await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("The Docker API did not answer GET /services within 00:00:05.", error.Message);
            Assert.Equal("the Docker API did not answer in time", DockerSwarmSource.Describe(error));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static DockerEngineClient Connect()
    {
        var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true)" : "";
        Assert.True(File.Exists(Socket), $"{Socket} is missing{ci}: these tests read the real Docker engine; scripts/up.sh installs and starts it.");
        return DockerClientFactory.Create(new DockerDiscoveryOptions { Endpoint = "unix://" + Socket });
    }

    private static async Task<List<string>> ReadAllAsync(IAsyncEnumerable<EngineEvent> events)
    {
        var lines = new List<string>();
        await foreach (var e in events)
        {
            lines.Add($"{e.Type} {e.Action}");
        }

        return lines;
    }

    private static async Task<List<string>> CliLinesAsync(params string[] args) =>
        [.. (await Shell.DockerAsync(args)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
