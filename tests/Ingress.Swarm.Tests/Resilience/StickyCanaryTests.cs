using System.Collections.Concurrent;
using System.Net;
using Ingress.Swarm.Tests.Common;
using Xunit.Abstractions;

namespace Ingress.Swarm.Tests.Resilience;

/// <summary>
/// <c>ingress.sticky</c> and <c>ingress.weight</c> on the real single-node swarm: cookie-keeping clients under load while
/// their replicas are killed, drained and rolled see no failed request, move with a new cookie, and stick again; two
/// weighted services split the requests through the gateway by their weights.
/// </summary>
[Collection(SwarmCollection.Name)]
public sealed class StickyCanaryTests(SwarmFixture swarm, ITestOutputHelper output)
{
    private const string StickyHost = "sticky.test";
    private const string CanaryHost = "canary.test";
    private const int Clients = 16;

    [Fact]
    public async Task StickyReplicas_KilledDrainedAndRolled_UnderLoad_NoFailedRequest_EachClientMovesWithANewCookieAndSticks()
    {
        await using var service = await TestService.CreateAsync(
            "ingress-test-sticky",
            swarm.HostnameImage,
            "--replicas", "3",
            "--endpoint-mode", "dnsrr",
            "--env", "Hostname__LogRequests=false",
            "--label", $"ingress.host={StickyHost}",
            "--label", "ingress.port=8888",
            "--label", "ingress.sticky=true");
        // Without cookies, round robin shows every replica.
        using var cookieless = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = swarm.Entry.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.WaitAsync(
            async () => (await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => GetAsync(cookieless, StickyHost)))).Select(a => a.Replica).ToHashSet(),
            seen => seen.Count == 3 && !seen.Any(s => s.StartsWith("HTTP", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(120),
            "three sticky replicas routed");

        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, Clients).Select(_ => new CookieClient(swarm.Entry.BaseAddress!)).ToArray();
        var load = clients.Select(c => c.RunAsync(StickyHost, stop.Token)).ToArray();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            await KillOneTaskAsync(service.Name);
            await Task.Delay(TimeSpan.FromSeconds(8));
            await SwarmFixture.ScaleAsync(service.Name, 2);
            await Task.Delay(TimeSpan.FromSeconds(8));
            await Shell.DockerAsync("service", "update", "--detach", "--force", service.Name);
            await Eventually.WaitAsync(
                () => Shell.DockerAsync("service", "inspect", service.Name, "--format", "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{else}}none{{end}}"),
                state => state.Trim() is "completed" or "none",
                TimeSpan.FromSeconds(180),
                "the rolling update to finish");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(load);
        }

        var running = await RunningHostnamesAsync(service.Name);
        foreach (var client in clients)
        {
            var answers = client.Answers.ToArray();
            output.WriteLine($"client: {answers.Length} requests, {client.Failures.Count} failed, replicas {string.Join(" ", Runs(answers))}");
            Assert.Empty(client.Failures);
            // Every move to another replica came with a cookie for it, and the rolled service has none of the first replicas.
            for (var i = 1; i < answers.Length; i++)
            {
                if (answers[i].Replica != answers[i - 1].Replica)
                {
                    Assert.True(answers[i].NewCookie, $"moved from {answers[i - 1].Replica} to {answers[i].Replica} without a new cookie");
                }
            }

            Assert.NotEqual(answers[0].Replica, answers[^1].Replica);
            // Sticks: the last requests all went to one replica of the updated service.
            var last = answers[^20..].Select(a => a.Replica).Distinct().ToArray();
            Assert.Single(last);
            Assert.Contains(last[0], running);
        }
    }

    [Fact]
    public async Task TwoWeightedServices_SplitTheirRule_90_10_WithinTwoPercent()
    {
        await using var stable = await TestService.CreateAsync("ingress-test-weight-stable", swarm.HostnameImage,
            "--replicas", "1", "--endpoint-mode", "dnsrr", "--env", "Hostname__LogRequests=false", "--env", "Hostname__Name=stable",
            "--label", $"ingress.host={CanaryHost}", "--label", "ingress.port=8888", "--label", "ingress.weight=90");
        await using var canary = await TestService.CreateAsync("ingress-test-weight-canary", swarm.HostnameImage,
            "--replicas", "2", "--endpoint-mode", "dnsrr", "--env", "Hostname__LogRequests=false", "--env", "Hostname__Name=canary",
            "--label", $"ingress.host={CanaryHost}", "--label", "ingress.port=8888", "--label", "ingress.weight=10");
        await Eventually.WaitAsync(
            async () => (await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => GetAsync(swarm.Entry, CanaryHost)))).Select(a => a.Replica).ToHashSet(),
            seen => seen.SetEquals(["stable", "canary"]),
            TimeSpan.FromSeconds(120),
            "both weighted services routed");
        await Eventually.WaitAsync(
            async () => await Shell.DockerAsync("service", "ps", canary.Name, "-q", "--filter", "desired-state=running"),
            ids => ids.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2,
            TimeSpan.FromSeconds(60),
            "two canary tasks");

        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var next = 0;
        const int Requests = 10_000;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= Requests)
            {
                var answer = await GetAsync(swarm.Entry, CanaryHost);
                counts.AddOrUpdate(answer.Replica, 1, (_, n) => n + 1);
            }
        }));

        output.WriteLine(string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
        Assert.Equal(Requests, counts.GetValueOrDefault("stable") + counts.GetValueOrDefault("canary"));
        Assert.InRange(counts.GetValueOrDefault("canary") / (double)Requests, 0.08, 0.12);
    }

    private static async Task<(string Replica, bool NewCookie)> GetAsync(HttpClient client, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        var body = (await response.Content.ReadAsStringAsync()).Trim();
        return (response.StatusCode == HttpStatusCode.OK ? body : $"HTTP {(int)response.StatusCode}", response.Headers.Contains("Set-Cookie"));
    }

    private static async Task KillOneTaskAsync(string service)
    {
        var ids = (await Shell.DockerAsync("ps", "-q", "--filter", $"label=com.docker.swarm.service.name={service}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(ids);
        await Shell.DockerAsync("kill", ids[0]);
    }

    private static async Task<HashSet<string>> RunningHostnamesAsync(string service)
    {
        var ids = (await Shell.DockerAsync("ps", "-q", "--filter", $"label=com.docker.swarm.service.name={service}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return [.. ids.Select(id => id[..12])];
    }

    private static IEnumerable<string> Runs(IReadOnlyList<(string Replica, bool NewCookie)> answers)
    {
        for (var i = 0; i < answers.Count; i++)
        {
            if (i == 0 || answers[i].Replica != answers[i - 1].Replica)
            {
                yield return answers[i].Replica;
            }
        }
    }

    /// <summary>A client that keeps its cookies, as a browser would, sending GETs one after another until stopped.</summary>
    private sealed class CookieClient(Uri entry)
    {
        private readonly HttpClient _client = new(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = entry,
            Timeout = TimeSpan.FromSeconds(10),
        };

        public ConcurrentQueue<(string Replica, bool NewCookie)> Answers { get; } = new();

        public ConcurrentQueue<string> Failures { get; } = new();

        public async Task RunAsync(string host, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var answer = await GetAsync(_client, host);
                    if (answer.Replica.StartsWith("HTTP ", StringComparison.Ordinal))
                    {
                        Failures.Enqueue(answer.Replica);
                    }
                    else
                    {
                        Answers.Enqueue(answer);
                    }
                }
                catch (HttpRequestException ex)
                {
                    Failures.Enqueue(ex.Message);
                }
                catch (TaskCanceledException ex) when (!stop.IsCancellationRequested)
                {
                    Failures.Enqueue(ex.Message);
                }
            }
        }
    }
}
