using System.Diagnostics;
using Ingress.Lab.Tests.Common;
using Xunit.Abstractions;

namespace Ingress.Lab.Tests.ControlChannel;

/// <summary>
/// The control channel on the real swarm: a backend container can neither reach it nor read the state, no container
/// can join its network, and the followers keep serving while the manager gateway is gone, then resync.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ControlChannelLabTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact, Priority(20)]
    public async Task BackendContainer_CannotReachTheControlChannel_NorReadTheState()
    {
        // A container on the backends' network of a worker node, as a compromised replica would be. The hostname image
        // has bash but no curl: raw HTTP over /dev/tcp, the status line of each answer printed.
        const string probe = """
            status() { exec 3<>"/dev/tcp/$1/$2" || { echo "$1:$2 refused"; return; }
                       printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$3" >&3; head -1 <&3 | tr -d '\r'; exec 3>&-; }
            for ip in $(getent ahostsv4 tasks.gateway tasks.gateway-worker | awk '{print $1}' | sort -u); do
              echo "gateway $ip"
              echo "control: $(status "$ip" 8081 /control/v1/state)"
              echo "state: $(status "$ip" 8080 /api/state)"
              echo "metrics: $(status "$ip" 8080 /metrics)"
              echo "healthz: $(status "$ip" 8080 /healthz)"
            done
            echo "alias: $(getent hosts gateway-managers || echo none)"
            """;
        var image = (await lab.DockerAsync(1, "service", "inspect", LabFixture.HostnameService, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")).Trim();

        var answer = await lab.DockerAsync(2, "run", "--rm", "--network", "ingress_backends", "--entrypoint", "bash", image, "-c", probe);
        output.WriteLine(answer);

        var lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(LabFixture.Nodes, lines.Count(l => l.StartsWith("gateway ", StringComparison.Ordinal)));
        Assert.All(lines.Where(l => l.StartsWith("control:", StringComparison.Ordinal)), l => Assert.True(l.Contains("403", StringComparison.Ordinal) || l.Contains("refused", StringComparison.Ordinal), l));
        Assert.All(lines.Where(l => l.StartsWith("state:", StringComparison.Ordinal) || l.StartsWith("metrics:", StringComparison.Ordinal)), l => Assert.Contains("403", l, StringComparison.Ordinal));
        Assert.All(lines.Where(l => l.StartsWith("healthz:", StringComparison.Ordinal)), l => Assert.Contains("200", l, StringComparison.Ordinal));
        Assert.Contains("alias: none", answer, StringComparison.Ordinal);
    }

    [Fact, Priority(21)]
    public async Task ControlNetwork_TakesNoOtherContainer()
    {
        var image = (await lab.DockerAsync(1, "service", "inspect", LabFixture.HostnameService, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")).Trim();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            lab.DockerAsync(1, "run", "--rm", "--network", "ingress_control", "--entrypoint", "true", image));

        Assert.Contains("attachable", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact, Priority(22)]
    public async Task ManagerGatewayKilled_FollowersKeepServing_ThenResync()
    {
        var before = (await lab.StateAsync(2)).GetProperty("control").GetProperty("manager").GetString();
        var id = (await lab.DockerAsync(1, "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={LabFixture.ManagerGateways}")).Trim();
        using var cts = new CancellationTokenSource();
        var load = SteadyRequestsAsync([2, 3], cts.Token);
        var sawLoss = false;

        await lab.DockerAsync(1, "kill", id);

        await Eventually.WaitAsync(async () =>
        {
            var control = (await lab.StateAsync(2)).GetProperty("control");
            sawLoss |= !control.GetProperty("connected").GetBoolean();
            return sawLoss && control.GetProperty("connected").GetBoolean() && control.GetProperty("manager").GetString() != before;
        }, Patience, "the worker gateway to lose its manager gateway, then follow the restarted one", TimeSpan.FromMilliseconds(100));
        cts.Cancel();
        var (requests, failures) = await load;

        output.WriteLine($"{requests} requests to the worker gateways while the manager gateway was gone and back, {failures} failed");
        Assert.True(requests > 20, $"only {requests} requests were made");
        Assert.Equal(0, failures);
        for (var node = 1; node <= LabFixture.Nodes; node++)
        {
            await lab.WaitForRotationAsync(node, Patience);
        }
    }

    [Fact, Priority(23)]
    public async Task WorkerGatewayKilled_AnswersAgainWithinSecondsOfItsTaskRunning()
    {
        var id = (await lab.DockerAsync(2, "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={LabFixture.WorkerGateways}")).Trim();
        using var cts = new CancellationTokenSource();
        var load = SteadyRequestsAsync([3], cts.Token);

        await lab.DockerAsync(2, "kill", id);
        var running = await Eventually.WaitAsync(
            async () => (await lab.DockerAsync(2, "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={LabFixture.WorkerGateways}", "--filter", "health=healthy")).Trim(),
            s => s.Length > 0 && s != id, Patience, "the worker gateway's new task to run", TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        await Eventually.WaitAsync(async () => (await lab.GetManyAsync(2, 3)).Distinct().Count() == 3, TimeSpan.FromSeconds(10), "node 2 to answer again", TimeSpan.FromMilliseconds(50));
        cts.Cancel();
        var (requests, failures) = await load;

        output.WriteLine($"node 2 answered {clock.ElapsedMilliseconds} ms after its new gateway task ({running}) was running; node 3 meanwhile: {requests} requests, {failures} failed");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(0, failures);
    }

    /// <summary>Sequential GETs to the given nodes' entry ports, in turn, until cancelled: how many, how many failed.</summary>
    private async Task<(int Requests, int Failures)> SteadyRequestsAsync(int[] nodes, CancellationToken cancellationToken)
    {
        var clients = nodes.Select(n => lab.Client(n, LabFixture.EntryPort)).ToArray();
        int requests = 0, failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var client in clients)
                {
                    requests++;
                    try
                    {
                        using var response = await client.GetAsync("/", CancellationToken.None);
                        if (!response.IsSuccessStatusCode)
                        {
                            failures++;
                            output.WriteLine($"{client.BaseAddress}: {(int)response.StatusCode}");
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        failures++;
                        output.WriteLine($"{client.BaseAddress}: {ex.Message}");
                    }
                }

                await Task.Delay(10, CancellationToken.None);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        return (requests, failures);
    }
}
