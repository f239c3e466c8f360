using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Discovery.Control;

public sealed class ControlFeedTests
{
    private readonly RecordingSink _inner = new();
    private readonly ControlFeed _feed;
    private readonly FakeTimeProvider _time = new();

    public ControlFeedTests() => _feed = new ControlFeed(_inner, "docker", manager: "manager-1");

    private static DiscoverySnapshot Listing(params string[] tasks) =>
        Swarm.Snapshot("docker", Swarm.Service("web", Swarm.Labels("ingress.publish=8888:80"), tasks.Select(t => Swarm.Task(t))));

    [Fact]
    public void Publish_PassesEverySourceOn_AndCountsOnlyChanges()
    {
        _feed.Publish(Listing("a"));
        _feed.Publish(Listing("a"));
        _feed.Publish(Swarm.Snapshot("dns"));
        Assert.Equal(1, _feed.Revision);

        _feed.Publish(Listing("a", "b"));
        Assert.Equal(2, _feed.Revision);
        Assert.Equal(["docker", "docker", "dns", "docker"], _inner.Published.Select(p => p.Source));
    }

    [Fact]
    public void Publish_UnchangedListing_PassesOnTheSameServiceInstances()
    {
        _feed.Publish(Listing("a"));
        _feed.Publish(Listing("a"));

        Assert.Same(_inner.Published[0].Services[0], _inner.Published[1].Services[0]);
    }

    [Fact]
    public void ReportFailure_OfTheFollowedSource_IsARevisionOncePerReason()
    {
        _feed.Publish(Listing("a"));
        _feed.ReportFailure("docker", "down");
        _feed.ReportFailure("docker", "down");
        _feed.ReportFailure("dns", "also down");
        Assert.Equal(2, _feed.Revision);
        Assert.Equal(3, _inner.Failures.Count);

        var document = ControlDocument.Decode(_feed.Current()!.Bytes);
        Assert.Equal("down", document.SourceFailure);

        _feed.Publish(Listing("a"));
        Assert.Equal(3, _feed.Revision);
        Assert.Null(ControlDocument.Decode(_feed.Current()!.Bytes).SourceFailure);
    }

    [Fact]
    public void Current_BeforeTheFirstListing_IsNull_ThenEncodedOncePerRevision()
    {
        Assert.Null(_feed.Current());

        _feed.Publish(Listing("a"));
        var first = _feed.Current()!;
        Assert.Same(first, _feed.Current());
        Assert.Equal((_feed.Epoch, 1L, "manager-1"), (ControlDocument.Decode(first.Bytes).Epoch, first.Revision, ControlDocument.Decode(first.Bytes).Manager));
    }

    [Fact]
    public async Task WaitForChange_FromAnotherEpochOrRevision_AnswersAtOnce()
    {
        _feed.Publish(Listing("a"));

        Assert.True(await _feed.WaitForChangeAsync(null, 0, TimeSpan.FromHours(1), _time, CancellationToken.None));
        Assert.True(await _feed.WaitForChangeAsync("other-epoch", 1, TimeSpan.FromHours(1), _time, CancellationToken.None));
        Assert.True(await _feed.WaitForChangeAsync(_feed.Epoch, 0, TimeSpan.FromHours(1), _time, CancellationToken.None));
    }

    [Fact]
    public async Task WaitForChange_UpToDate_WaitsForTheNextChange()
    {
        _feed.Publish(Listing("a"));
        var waiting = _feed.WaitForChangeAsync(_feed.Epoch, 1, TimeSpan.FromHours(1), _time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        _feed.Publish(Listing("a"));
        Assert.False(waiting.IsCompleted);

        _feed.Publish(Listing("a", "b"));
        Assert.True(await waiting);
    }

    [Fact]
    public async Task WaitForChange_UpToDate_TimesOutAfterTheHeartbeat()
    {
        _feed.Publish(Listing("a"));
        var waiting = _feed.WaitForChangeAsync(_feed.Epoch, 1, TimeSpan.FromSeconds(5), _time, CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.False(await waiting);
    }

    [Fact]
    public async Task WaitForChange_BeforeTheFirstListing_Waits()
    {
        var waiting = _feed.WaitForChangeAsync(null, 0, TimeSpan.FromHours(1), _time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        _feed.Publish(Listing("a"));
        Assert.True(await waiting);
    }

    private sealed class RecordingSink : IDiscoverySink
    {
        public List<DiscoverySnapshot> Published { get; } = [];

        public List<(string Source, string Reason)> Failures { get; } = [];

        public void Publish(DiscoverySnapshot snapshot) => Published.Add(snapshot);

        public void PublishPartial(DiscoverySnapshot snapshot, string failure) => Published.Add(snapshot);

        public void ReportFailure(string source, string reason) => Failures.Add((source, reason));
    }
}
