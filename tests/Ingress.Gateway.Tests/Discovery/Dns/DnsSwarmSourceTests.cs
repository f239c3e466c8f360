using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tests.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Discovery.Dns;

public sealed class DnsSwarmSourceTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingSink _sink = new();
    private readonly RecordingLogger<DnsSwarmSource> _log = new();
    private readonly FakeDns _dns = new();

    private DnsSwarmSource Create(Func<string, CancellationToken, Task<IPAddress[]>> resolve) =>
        Create(_sink, resolve, ["hostname"]);

    private DnsSwarmSource Create(params string[] names) => Create(_sink, _dns.ResolveAsync, names);

    private DnsSwarmSource Create(
        IDiscoverySink sink,
        Func<string, CancellationToken, Task<IPAddress[]>> resolve,
        string[] names,
        Action<DnsDiscoveryOptions>? configure = null)
    {
        var options = new DnsDiscoveryOptions
        {
            Enabled = true,
            // Each on its own entry port, so that the services never clash when a test routes them.
            Services = [.. names.Select((name, i) => new DnsServiceOptions { Name = name, Publish = $"{8001 + i}:80" })],
        };
        configure?.Invoke(options);
        return new DnsSwarmSource(sink, Options.Create(options), _time, _log) { Resolve = resolve };
    }

    [Fact]
    public async Task ListAsync_ResolvesTasksNameToSortedTasksWithConfiguredLabels()
    {
        string? asked = null;
        var source = Create((name, _) =>
        {
            asked = name;
            return Task.FromResult(new[] { IPAddress.Parse("10.0.1.7"), IPAddress.Parse("10.0.1.5") });
        });

        var listing = await source.ListAsync(CancellationToken.None);

        Assert.Null(listing.Failure);
        Assert.Equal("tasks.hostname", asked);
        var service = Assert.Single(listing.Snapshot.Services);
        Assert.Equal(["10.0.1.5", "10.0.1.7"], service.Tasks.Select(t => t.Address));
        Assert.Equal("8001:80", service.Labels["ingress.publish"]);
    }

    [Fact]
    public async Task ListAsync_NxDomain_IsAnEmptyServiceNotAFailure()
    {
        var source = Create((_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)));

        var listing = await source.ListAsync(CancellationToken.None);

        Assert.Null(listing.Failure);
        Assert.Equal(1, listing.Answered);
        Assert.Empty(Assert.Single(listing.Snapshot.Services).Tasks);
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
        var listing = await source.ListAsync(CancellationToken.None);

        Assert.Contains("tasks.hostname", listing.Failure);
        Assert.Equal(0, listing.Answered);
        Assert.Equal(["10.0.1.5"], Assert.Single(listing.Snapshot.Services).Tasks.Select(t => t.Address));
    }

    [Fact]
    public async Task ListAsync_ResolverHangs_TimesOutOnTheInjectedClock()
    {
        var source = Create(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return [];
        });

        var listing = source.ListAsync(CancellationToken.None);
        Assert.False(listing.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));
        var result = await listing.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("tasks.hostname: no answer within 2 s", result.Failure);
    }

    [Fact]
    public async Task ListAsync_OneNameFailing_ListsTheOthersAndKeepsItsLastKnownTasks()
    {
        var source = Create("api", "web");
        _dns.Set("api", "10.0.2.1", "10.0.2.2");
        _dns.Set("web", "10.0.1.1");
        await source.ListAsync(CancellationToken.None);

        _dns.Fail("api");
        _dns.Set("web", "10.0.1.1", "10.0.1.2", "10.0.1.3");
        var listing = await source.ListAsync(CancellationToken.None);

        Assert.StartsWith("tasks.api: TryAgain", listing.Failure);
        Assert.DoesNotContain("tasks.web", listing.Failure);
        Assert.Equal(1, listing.Answered);
        Assert.Equal(["10.0.2.1", "10.0.2.2"], Addresses(listing.Snapshot, "api"));
        Assert.Equal(["10.0.1.1", "10.0.1.2", "10.0.1.3"], Addresses(listing.Snapshot, "web"));
    }

    [Fact]
    public async Task ListAsync_NameFailingSinceStartUp_IsLeftOutWhileTheOthersAreListed()
    {
        var source = Create("api", "web");
        _dns.Fail("api");
        _dns.Set("web", "10.0.1.1");

        var listing = await source.ListAsync(CancellationToken.None);

        Assert.Contains("tasks.api", listing.Failure);
        Assert.Equal(1, listing.Answered);
        Assert.Equal("web", Assert.Single(listing.Snapshot.Services).Name);
    }

    [Fact]
    public async Task ListAsync_ManyNamesFailing_NamesTheFirstFewAndCountsTheRest()
    {
        var source = Create("a", "b", "c", "d", "e");
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            _dns.Fail(name);
        }

        var listing = await source.ListAsync(CancellationToken.None);

        Assert.Equal(0, listing.Answered);
        Assert.Contains("tasks.a: ", listing.Failure);
        Assert.Contains("tasks.c: ", listing.Failure);
        Assert.DoesNotContain("tasks.d", listing.Failure);
        Assert.EndsWith("and 2 more (5 of 5 names failed)", listing.Failure);
    }

    [Fact]
    public async Task ListAsync_CustomQueryPrefix_IsUsedForLookupsAndFailures()
    {
        var asked = new ConcurrentBag<string>();
        var source = Create(_sink, (name, _) =>
        {
            asked.Add(name);
            return Task.FromException<IPAddress[]>(new SocketException((int)SocketError.TryAgain));
        }, ["web"], options => options.QueryPrefix = "tasks.ingress_");

        var listing = await source.ListAsync(CancellationToken.None);

        Assert.Equal(["tasks.ingress_web"], asked);
        Assert.StartsWith("tasks.ingress_web: ", listing.Failure);
    }

    [Fact]
    public async Task ListAsync_ManyNamesResolvedConcurrently_EachServiceGetsItsOwnAnswerAndEachChangeIsLoggedOnce()
    {
        const int Count = 200;
        var names = Enumerable.Range(0, Count).Select(i => $"svc{i:000}").ToArray();
        var source = Create(names);
        _dns.OnThreadPool = true;
        var lastKnown = new Dictionary<string, string[]>();
        var unresolvable = new HashSet<string>();
        int noTasksLogs = 0, resolvesAgainLogs = 0;

        for (var round = 0; round < 6; round++)
        {
            // Every name cycles through answering, NXDOMAIN and failing, each round in a different mix.
            var failing = 0;
            for (var i = 0; i < Count; i++)
            {
                var name = names[i];
                switch ((i + round) % 3)
                {
                    case 0:
                        string[] addresses = [$"10.{round}.{i}.1", $"10.{round}.{i}.2"];
                        _dns.Set(name, addresses);
                        lastKnown[name] = addresses;
                        resolvesAgainLogs += unresolvable.Remove(name) ? 1 : 0;
                        break;
                    case 1:
                        _dns.NotFound(name);
                        lastKnown[name] = [];
                        noTasksLogs += unresolvable.Add(name) ? 1 : 0;
                        break;
                    default:
                        _dns.Fail(name);
                        failing++;
                        break;
                }
            }

            var listing = await source.ListAsync(CancellationToken.None);

            Assert.Equal(Count - failing, listing.Answered);
            Assert.EndsWith($"({failing} of {Count} names failed)", listing.Failure);
            Assert.Equal(lastKnown.Keys.Order(StringComparer.Ordinal), listing.Snapshot.Services.Select(s => s.Name).Order(StringComparer.Ordinal));
            foreach (var service in listing.Snapshot.Services)
            {
                Assert.Equal(lastKnown[service.Name], service.Tasks.Select(t => t.Address));
            }

            Assert.Equal(noTasksLogs, _log.CountEvent(201));
            Assert.Equal(resolvesAgainLogs, _log.CountEvent(202));
        }

        Assert.True(Environment.ProcessorCount == 1 || _dns.MaxConcurrent > 1, "the lookups of one pass should overlap");
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
        await Eventually.WaitUntilAsync(() => _sink.Published.Count >= 1, "the first snapshot");
        fail = true;
        _time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.WaitUntilAsync(() => _sink.Failures.Count >= 1, "a failure reported");
        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.WaitUntilAsync(() => _sink.Failures.Count >= 2, "a second failure reported");
        await source.StopAsync(CancellationToken.None);

        Assert.Single(_sink.Published);
        Assert.Empty(_sink.Partial);
        Assert.All(_sink.Failures, f => Assert.Contains("tasks.hostname", f));
    }

    [Fact]
    public async Task Run_OneNameFailingWhileAnotherScales_PublishesTheScaleUpEveryRefreshInterval()
    {
        var source = Create("api", "web");
        _dns.Set("api", "10.0.2.1", "10.0.2.2");
        _dns.Set("web", "10.0.1.1");

        await source.StartAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => _sink.Published.Count == 1, "the first snapshot");
        _dns.Fail("api");
        _dns.Set("web", "10.0.1.1", "10.0.1.2");
        _time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.WaitUntilAsync(() => _sink.Partial.Count == 1, "a partial snapshot");
        _dns.Set("web", "10.0.1.1", "10.0.1.2", "10.0.1.3");
        // The refresh interval, not the 1 s, 2 s, ... backoff of an outage: the resolver still answers.
        _time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.WaitUntilAsync(() => _sink.Partial.Count == 2, "a second partial snapshot");
        await source.StopAsync(CancellationToken.None);

        var (snapshot, failure) = _sink.Partial.Last();
        Assert.Contains("tasks.api", failure);
        Assert.Equal(["10.0.2.1", "10.0.2.2"], Addresses(snapshot, "api"));
        Assert.Equal(["10.0.1.1", "10.0.1.2", "10.0.1.3"], Addresses(snapshot, "web"));
        Assert.Empty(_sink.Failures);
    }

    [Fact]
    public async Task Run_OneNameFailing_IsReportedOnceKeepsRoutingAndIsClearedOnRecovery()
    {
        var reconcilerLog = new RecordingLogger<DiscoveryReconciler>();
        var metrics = new GatewayMetrics();
        var reconciler = CreateReconciler(metrics, reconcilerLog);
        var source = Create(reconciler, _dns.ResolveAsync, ["api", "web"]);
        _dns.Set("api", "10.0.2.1", "10.0.2.2");
        _dns.Set("web", "10.0.1.1");

        await source.StartAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => reconciler.IsReady, "the reconciler to be ready");
        _dns.Fail("api");
        _dns.Set("web", "10.0.1.1", "10.0.1.2", "10.0.1.3");
        for (var pass = 1; pass <= 3; pass++)
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            await Eventually.WaitUntilAsync(() => reconciler.Sources[0].ConsecutiveFailures == pass, $"failing pass {pass}");
        }

        var degraded = Assert.Single(reconciler.Sources);
        Assert.Equal(DiscoverySourceState.Failing, degraded.State);
        Assert.StartsWith("tasks.api: ", degraded.LastError);
        Assert.True(reconciler.IsReady);
        Assert.Equal(["10.0.1.1", "10.0.1.2", "10.0.1.3"], Routed(reconciler, "web"));
        Assert.Equal(["10.0.2.1", "10.0.2.2"], Routed(reconciler, "api"));
        Assert.Equal(1, reconcilerLog.Count(LogLevel.Error));
        Assert.Equal(3, metrics.DiscoveryErrors.WithLabels(DnsSwarmSource.SourceName).Value);
        Assert.Equal(0, metrics.DiscoverySourceUp.WithLabels(DnsSwarmSource.SourceName).Value);

        _dns.Set("api", "10.0.2.1");
        _time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.WaitUntilAsync(() => reconciler.Sources[0].State == DiscoverySourceState.Up, "the source to be up again");
        await source.StopAsync(CancellationToken.None);

        Assert.Null(reconciler.Sources[0].LastError);
        Assert.Equal(["10.0.2.1"], Routed(reconciler, "api"));
        Assert.Equal(1, reconcilerLog.Count(LogLevel.Error));
        Assert.Single(reconcilerLog.Entries, e => e.Message.Contains("recovered", StringComparison.Ordinal));
        Assert.Equal(1, metrics.DiscoverySourceUp.WithLabels(DnsSwarmSource.SourceName).Value);
    }

    [Fact]
    public async Task Run_OneNameFailingAtStartUp_SourceBecomesReadyAndShowsTheFailure()
    {
        var reconciler = CreateReconciler(new GatewayMetrics(), new RecordingLogger<DiscoveryReconciler>());
        var source = Create(reconciler, _dns.ResolveAsync, ["api", "web"]);
        _dns.Fail("api");
        _dns.Set("web", "10.0.1.1");

        await source.StartAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => reconciler.IsReady, "the reconciler to be ready");
        await source.StopAsync(CancellationToken.None);

        Assert.Equal(["10.0.1.1"], Routed(reconciler, "web"));
        Assert.Equal(DiscoverySourceState.Failing, reconciler.Sources[0].State);
        Assert.Contains("tasks.api", reconciler.Sources[0].LastError);
    }

    [Fact]
    public async Task Run_PublishThrows_LoopSurvivesReportsItAndRetriesWithBackoff()
    {
        _sink.ThrowOnPublish = 2;
        var source = Create("web");
        _dns.Set("web", "10.0.1.1");

        await source.StartAsync(CancellationToken.None);
        await Eventually.WaitUntilAsync(() => _sink.Failures.Count == 1, "the first failed publish");
        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.WaitUntilAsync(() => _sink.Failures.Count == 2, "the second failed publish");
        Assert.False(source.ExecuteTask!.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.WaitUntilAsync(() => _sink.Published.Count == 1, "a snapshot published after the failures");
        await source.StopAsync(CancellationToken.None);

        Assert.All(_sink.Failures, f => Assert.StartsWith("DNS discovery failed: ", f));
        Assert.Equal(1, _log.CountEvent(203));
        Assert.True(source.ExecuteTask.IsCompletedSuccessfully);
    }

    private DiscoveryReconciler CreateReconciler(GatewayMetrics metrics, RecordingLogger<DiscoveryReconciler> logger) => new(
        new SwarmProxyConfigProvider(),
        [new DiscoverySourceRegistration(DnsSwarmSource.SourceName)],
        Options.Create(new GatewayOptions { EntryPorts = [8001, 8002] }),
        metrics,
        _time,
        logger);

    private static string[] Addresses(DiscoverySnapshot snapshot, string name) =>
        [.. snapshot.Services.Single(s => s.Name == name).Tasks.Select(t => t.Address)];

    private static string[] Routed(DiscoveryReconciler reconciler, string name) =>
        [.. reconciler.Table.Services.Single(s => s.Service.Name == name).Service.Tasks.Select(t => t.Address)];

    /// <summary>Answers per <c>tasks.</c> name: addresses, NXDOMAIN or a resolver failure.</summary>
    private sealed class FakeDns
    {
        private readonly ConcurrentDictionary<string, (string[] Addresses, SocketError? Error)> _answers = new(StringComparer.Ordinal);
        private int _inFlight;
        private int _maxConcurrent;

        public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

        public void Set(string service, params string[] addresses) => _answers["tasks." + service] = (addresses, null);

        public void NotFound(string service) => _answers["tasks." + service] = ([], SocketError.HostNotFound);

        public void Fail(string service) => _answers["tasks." + service] = ([], SocketError.TryAgain);

        /// <summary>
        /// Completes each lookup on the thread pool, as the real resolver does, so that the code after the lookups of
        /// one pass runs on several threads at once. Off by default: a synchronous answer lets a test's
        /// <c>FakeTimeProvider.Advance</c> run a whole pass before it returns.
        /// </summary>
        public bool OnThreadPool { get; set; }

        public async Task<IPAddress[]> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            if (OnThreadPool)
            {
                await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                var running = Interlocked.Increment(ref _inFlight);
                InterlockedMax(ref _maxConcurrent, running);
                // Long enough for other lookups to complete beside this one.
                Thread.SpinWait(20_000);
                Interlocked.Decrement(ref _inFlight);
            }

            var (addresses, error) = _answers[name];
            return error is { } socketError
                ? throw new SocketException((int)socketError)
                : [.. addresses.Select(IPAddress.Parse)];
        }

        private static void InterlockedMax(ref int target, int value)
        {
            var current = Volatile.Read(ref target);
            while (value > current)
            {
                var seen = Interlocked.CompareExchange(ref target, value, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }

    private sealed class RecordingSink : IDiscoverySink
    {
        private readonly ConcurrentQueue<DiscoverySnapshot> _published = new();
        private readonly ConcurrentQueue<(DiscoverySnapshot, string)> _partial = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private int _throwOnPublish;

        /// <summary>How many of the next publications throw, as a bug in the reconciler would.</summary>
        public int ThrowOnPublish
        {
            set => Volatile.Write(ref _throwOnPublish, value);
        }

        public IReadOnlyCollection<DiscoverySnapshot> Published => _published;

        public IReadOnlyCollection<(DiscoverySnapshot Snapshot, string Failure)> Partial => _partial;

        public IReadOnlyCollection<string> Failures => _failures;

        public void Publish(DiscoverySnapshot snapshot)
        {
            if (Interlocked.Decrement(ref _throwOnPublish) >= 0)
            {
                throw new InvalidOperationException("the sink is broken");
            }

            _published.Enqueue(snapshot);
        }

        public void PublishPartial(DiscoverySnapshot snapshot, string failure) => _partial.Enqueue((snapshot, failure));

        public void ReportFailure(string source, string reason) => _failures.Enqueue(reason);
    }
}
