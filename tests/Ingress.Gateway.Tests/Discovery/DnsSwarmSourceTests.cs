using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Dns;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Discovery;

public sealed class DnsSwarmSourceTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingSink _sink = new();

    private DnsSwarmSource Create(Func<string, CancellationToken, Task<IPAddress[]>> resolve) => new(
        _sink,
        Options.Create(new DnsDiscoveryOptions
        {
            Enabled = true,
            Services = [new DnsServiceOptions { Name = "hostname", Publish = "8888:8888" }],
        }),
        _time,
        NullLogger<DnsSwarmSource>.Instance)
    { Resolve = resolve };

    [Fact]
    public async Task ListAsync_ResolvesTasksNameToSortedTasksWithConfiguredLabels()
    {
        string? asked = null;
        var source = Create((name, _) =>
        {
            asked = name;
            return Task.FromResult(new[] { IPAddress.Parse("10.0.1.7"), IPAddress.Parse("10.0.1.5") });
        });

        var (snapshot, failure) = await source.ListAsync(CancellationToken.None);

        Assert.Null(failure);
        Assert.Equal("tasks.hostname", asked);
        var service = Assert.Single(snapshot.Services);
        Assert.Equal(["10.0.1.5", "10.0.1.7"], service.Tasks.Select(t => t.Address));
        Assert.Equal("8888:8888", service.Labels["ingress.publish"]);
    }

    [Fact]
    public async Task ListAsync_NxDomain_IsAnEmptyServiceNotAFailure()
    {
        var source = Create((_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)));

        var (snapshot, failure) = await source.ListAsync(CancellationToken.None);

        Assert.Null(failure);
        Assert.Empty(Assert.Single(snapshot.Services).Tasks);
    }

    [Fact]
    public async Task ListAsync_ResolverFailure_KeepsLastKnownTasksAndReportsIt()
    {
        var fail = false;
        var source = Create((_, _) => fail
            ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.TryAgain))
            : Task.FromResult(new[] { IPAddress.Parse("10.0.1.5") }));
        await source.ListAsync(CancellationToken.None);

        fail = true;
        var (snapshot, failure) = await source.ListAsync(CancellationToken.None);

        Assert.Contains("tasks.hostname", failure);
        Assert.Equal(["10.0.1.5"], Assert.Single(snapshot.Services).Tasks.Select(t => t.Address));
    }

    [Fact]
    public async Task ListAsync_ResolverHangs_TimesOut()
    {
        var source = Create(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return [];
        });

        var listing = source.ListAsync(CancellationToken.None);
        // The lookup timeout runs on the real clock inside CancelAfter, so give it that long.
        var (_, failure) = await listing.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("no answer", failure);
    }

    [Fact]
    public async Task Run_ResolverOutage_ReportsFailuresWithoutPublishingPartialSnapshots()
    {
        var fail = false;
        var source = Create((_, _) => fail
            ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.TryAgain))
            : Task.FromResult(new[] { IPAddress.Parse("10.0.1.5") }));
        using var stop = new CancellationTokenSource();

        await source.StartAsync(stop.Token);
        await WaitForAsync(() => _sink.Published.Count >= 1);
        fail = true;
        _time.Advance(TimeSpan.FromSeconds(2));
        await WaitForAsync(() => _sink.Failures.Count >= 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => _sink.Failures.Count >= 2);
        await source.StopAsync(CancellationToken.None);

        Assert.Single(_sink.Published);
        Assert.All(_sink.Failures, f => Assert.Contains("tasks.hostname", f));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private sealed class RecordingSink : IDiscoverySink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<DiscoverySnapshot> _published = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failures = new();

        public IReadOnlyCollection<DiscoverySnapshot> Published => _published;

        public IReadOnlyCollection<string> Failures => _failures;

        public void Publish(DiscoverySnapshot snapshot) => _published.Enqueue(snapshot);

        public void ReportFailure(string source, string reason) => _failures.Enqueue(reason);
    }
}
