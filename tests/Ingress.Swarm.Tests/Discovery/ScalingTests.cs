using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Ingress.Swarm.Tests.Common;
using Xunit.Abstractions;

namespace Ingress.Swarm.Tests.Discovery;

[Collection(SwarmCollection.Name)]
public sealed class ScalingTests(SwarmFixture swarm, ITestOutputHelper output)
{
    [Fact]
    public async Task Scale_ThreeToFiveToTwo_RotationFollowsWithinTheTarget()
    {
        await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(60));
        var before = await SwarmFixture.RunningHostnamesAsync(SwarmFixture.HostnameService);
        await using var watcher = RotationWatcher.Start(swarm.Entry);
        try
        {
            // Up: every new task must be in rotation soon after Swarm reports it running.
            await SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 5);
            var five = await Eventually.WaitAsync(
                () => SwarmFixture.RunningHostnamesAsync(SwarmFixture.HostnameService),
                s => s.Count == 5 && s.All(watcher.FirstSeen.ContainsKey),
                TimeSpan.FromSeconds(90),
                "5 running tasks, all in rotation");

            foreach (var name in five.Except(before))
            {
                var running = await RunningSinceAsync(name);
                if (running is null)
                {
                    continue;
                }

                var lag = watcher.FirstSeen[name] - running.Value;
                output.WriteLine($"{name}: running at {running:O}, first served {watcher.FirstSeen[name]:O}, lag {lag.TotalMilliseconds:0} ms");
                if (lag > TimeSpan.Zero)
                {
                    Timings.Record("scale-up: running to first request", lag.TotalMilliseconds, name);
                    Assert.True(lag < TimeSpan.FromSeconds(2.5), $"{name} took {lag.TotalMilliseconds:0} ms to enter rotation");
                }
            }

            // Down: removed tasks must leave rotation.
            var scaledDownAt = DateTimeOffset.UtcNow;
            await SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 2);
            var two = await Eventually.WaitAsync(
                () => SwarmFixture.RunningHostnamesAsync(SwarmFixture.HostnameService),
                s => s.Count == 2,
                TimeSpan.FromSeconds(60),
                "2 running tasks");
            var removed = five.Except(two).ToArray();
            // Watched for 3 s: a removed task served later than the target after scale-down fails at once.
            await Continually.HoldsAsync(
                () => removed.All(name => watcher.LastSeen.GetValueOrDefault(name, scaledDownAt) - scaledDownAt < TimeSpan.FromSeconds(2.5)),
                TimeSpan.FromSeconds(3),
                "every removed task out of rotation within 2.5 s of the scale-down");
            foreach (var name in removed)
            {
                var lastSeen = watcher.LastSeen.GetValueOrDefault(name, scaledDownAt);
                var lag = lastSeen - scaledDownAt;
                output.WriteLine($"{name}: scaled away at {scaledDownAt:O}, last served {lastSeen:O}, lag {lag.TotalMilliseconds:0} ms");
                Timings.Record("scale-down: scale command to last request", Math.Max(0, lag.TotalMilliseconds), name);
                Assert.True(lag < TimeSpan.FromSeconds(2.5), $"{name} was still served {lag.TotalMilliseconds:0} ms after scale-down");
            }

            var after = await SwarmFixture.GetManyAsync(swarm.Entry, 20);
            Assert.True(after.ToHashSet().SetEquals(two), $"after scale-down saw {string.Join(",", after.Distinct())}, expected {string.Join(",", two)}");
            output.WriteLine($"requests during the run: {watcher.Requests}, failed: {watcher.Failures}");
        }
        finally
        {
            await SwarmFixture.ScaleAsync(SwarmFixture.HostnameService, 3);
            await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(90));
        }
    }

    /// <summary>When Swarm says the task with this container host name became running.</summary>
    private static async Task<DateTimeOffset?> RunningSinceAsync(string hostname)
    {
        var ids = (await Shell.DockerAsync("service", "ps", SwarmFixture.HostnameService, "-q", "--filter", "desired-state=running"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var id in ids)
        {
            var line = (await Shell.DockerAsync("inspect", "--format", "{{.Status.ContainerStatus.ContainerID}} {{.Status.Timestamp.UnixNano}}", id)).Trim();
            var parts = line.Split(' ');
            if (parts.Length == 2 && parts[0].StartsWith(hostname, StringComparison.Ordinal))
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[1], CultureInfo.InvariantCulture) / 1_000_000);
            }
        }

        return null;
    }

    /// <summary>Sends requests back to back and records when each host name is first and last served.</summary>
    private sealed class RotationWatcher : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private long _requests;
        private long _failures;

        public ConcurrentDictionary<string, DateTimeOffset> FirstSeen { get; } = new();

        public ConcurrentDictionary<string, DateTimeOffset> LastSeen { get; } = new();

        public long Requests => Interlocked.Read(ref _requests);

        public long Failures => Interlocked.Read(ref _failures);

        public static RotationWatcher Start(HttpClient client)
        {
            var watcher = new RotationWatcher();
            watcher._loop = watcher.RunAsync(client);
            return watcher;
        }

        private async Task RunAsync(HttpClient client)
        {
            // Bounded: at most 5 minutes and 100,000 requests, whatever the test does.
            var bound = Stopwatch.StartNew();
            while (!_stop.IsCancellationRequested && bound.Elapsed < TimeSpan.FromMinutes(5) && _requests < 100_000)
            {
                try
                {
                    var name = await client.GetStringAsync("/", _stop.Token);
                    var now = DateTimeOffset.UtcNow;
                    FirstSeen.TryAdd(name, now);
                    LastSeen[name] = now;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    break;
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _failures);
                }

                Interlocked.Increment(ref _requests);
                await Task.Delay(10);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _loop;
            _stop.Dispose();
        }
    }
}
