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

    private sealed class RecordingSink : IDiscoverySink
    {
        public List<DiscoverySnapshot> Published { get; } = [];

        public List<string> Failures { get; } = [];

        public void Publish(DiscoverySnapshot snapshot) => Published.Add(snapshot);

        public void ReportFailure(string source, string reason) => Failures.Add(reason);
    }
}
