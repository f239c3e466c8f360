using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Routing;

public sealed class DiscoveryReconcilerTests
{
    private readonly SwarmProxyConfigProvider _provider = new();
    private readonly FakeTimeProvider _time = new();
    private readonly GatewayMetrics _metrics = new();

    private DiscoveryReconciler Create(params string[] sources) => new(
        _provider,
        sources.Select(s => new DiscoverySourceRegistration(s)),
        Options.Create(new GatewayOptions { EntryPorts = [8888] }),
        _metrics,
        _time,
        NullLogger<DiscoveryReconciler>.Instance);

    private static SwarmService Web(params SwarmTask[] tasks) => Service("web", Labels("ingress.publish=8888:80"), tasks);

    [Fact]
    public void Publish_UnchangedSnapshot_DoesNotReloadYarp()
    {
        var reconciler = Create("docker");
        reconciler.Publish(Snapshot("docker", Web(Task("t1"))));
        var config = _provider.GetConfig();

        reconciler.Publish(Snapshot("docker", Web(Task("t1"))));

        Assert.Same(config, _provider.GetConfig());
        Assert.False(config.ChangeToken.HasChanged);
    }

    [Fact]
    public void Publish_NewTask_ReloadsAndSignalsPreviousConfig()
    {
        var reconciler = Create("docker");
        reconciler.Publish(Snapshot("docker", Web(Task("t1"))));
        var config = _provider.GetConfig();

        reconciler.Publish(Snapshot("docker", Web(Task("t1"), Task("t2", "10.0.0.2"))));

        Assert.True(config.ChangeToken.HasChanged);
        Assert.Equal(2, _provider.GetConfig().Clusters.Single().Destinations!.Count);
    }

    [Fact]
    public void Publish_OneServiceChanged_HandsYarpTheOtherServicesConfigsUnchanged()
    {
        // Sources build new records on every listing; equal ones must reach YARP as the objects it already has, so its
        // per-object caches (our cluster defaults, its validation) and the relay's only redo the changed service.
        var reconciler = Create("docker");
        static SwarmService Api() => Service("api", Labels("ingress.host=api.example.com", "ingress.port=5000"), [Task("a1", "10.0.0.5")]);
        reconciler.Publish(Snapshot("docker", Api(), Web(Task("t1"))));
        var before = _provider.GetConfig();

        reconciler.Publish(Snapshot("docker", Api(), Web(Task("t2", "10.0.0.2"), Task("t3", "10.0.0.3"))));

        var after = _provider.GetConfig();
        Assert.NotSame(before, after);
        Assert.Same(before.Clusters.Single(c => c.ClusterId == "api/5000"), after.Clusters.Single(c => c.ClusterId == "api/5000"));
        Assert.Same(before.Routes.Single(r => r.ClusterId == "api/5000"), after.Routes.Single(r => r.ClusterId == "api/5000"));
        Assert.Equal(["http://10.0.0.2:80/", "http://10.0.0.3:80/"], after.Clusters.Single(c => c.ClusterId == "web/80").Destinations!.Values.Select(d => d.Address));
        // The gauges of unchanged services are not set again; the changed one's is.
        Assert.Equal(2, _metrics.DiscoveredTasks.WithLabels("web").Value);
        Assert.Equal(1, _metrics.DiscoveredTasks.WithLabels("api").Value);
        Assert.Contains(reconciler.Events.Recent(), e => e.Kind == "task-added" && e.Service == "web");
        Assert.Contains(reconciler.Events.Recent(), e => e.Kind == "task-removed" && e.Service == "web");
        Assert.DoesNotContain(reconciler.Events.Recent(), e => e.Kind.StartsWith("task-", StringComparison.Ordinal) && e.Service == "api");
    }

    [Fact]
    public void IsReady_WaitsForEverySourcesFirstListing()
    {
        var reconciler = Create("docker", "dns");
        Assert.False(reconciler.IsReady);

        reconciler.Publish(Snapshot("docker"));
        Assert.False(reconciler.IsReady);

        reconciler.Publish(Snapshot("dns"));
        Assert.True(reconciler.IsReady);
    }

    [Fact]
    public void ReportFailure_KeepsLastKnownRoutesAndMarksSourceFailing()
    {
        var reconciler = Create("docker");
        reconciler.Publish(Snapshot("docker", Web(Task("t1"))));
        var config = _provider.GetConfig();

        reconciler.ReportFailure("docker", "cannot reach the Docker API");
        _time.Advance(TimeSpan.FromSeconds(5));
        reconciler.ReportFailure("docker", "cannot reach the Docker API");

        Assert.Same(config, _provider.GetConfig());
        var status = Assert.Single(reconciler.Sources);
        Assert.Equal(DiscoverySourceState.Failing, status.State);
        Assert.Equal(2, status.ConsecutiveFailures);
        Assert.Equal("cannot reach the Docker API", status.LastError);
        Assert.True(reconciler.IsReady);
    }

    [Fact]
    public void ReportFailure_LogsOncePerOutage()
    {
        var logger = new CountingLogger();
        var reconciler = new DiscoveryReconciler(_provider, [new("docker")], Options.Create(new GatewayOptions { EntryPorts = [8888] }), _metrics, _time, logger);

        for (var i = 0; i < 5; i++)
        {
            reconciler.ReportFailure("docker", "down");
        }

        reconciler.Publish(Snapshot("docker"));
        reconciler.ReportFailure("docker", "down again");

        Assert.Equal(2, logger.Errors);
    }

    [Fact]
    public void PublishPartial_UpdatesRoutesButKeepsTheSourceFailing()
    {
        var reconciler = Create("dns");
        reconciler.Publish(Snapshot("dns", Web(Task("t1"))));
        var config = _provider.GetConfig();

        reconciler.PublishPartial(Snapshot("dns", Web(Task("t1"), Task("t2", "10.0.0.2"))), "tasks.api: no answer within 2 s");

        Assert.True(config.ChangeToken.HasChanged);
        Assert.Equal(2, _provider.GetConfig().Clusters.Single().Destinations!.Count);
        var status = Assert.Single(reconciler.Sources);
        Assert.Equal(DiscoverySourceState.Failing, status.State);
        Assert.Equal("tasks.api: no answer within 2 s", status.LastError);
        Assert.Equal(1, _metrics.DiscoveryErrors.WithLabels("dns").Value);
        Assert.Equal(0, _metrics.DiscoverySourceUp.WithLabels("dns").Value);
    }

    [Fact]
    public void PublishPartial_FirstListing_MakesTheSourceReady()
    {
        var reconciler = Create("dns");

        reconciler.PublishPartial(Snapshot("dns", Web(Task("t1"))), "tasks.api: TryAgain");

        Assert.True(reconciler.IsReady);
        Assert.Single(_provider.GetConfig().Routes);
        Assert.Equal(DiscoverySourceState.Failing, Assert.Single(reconciler.Sources).State);
    }

    [Fact]
    public void PublishPartial_EveryPoll_LogsOnceStaysFailingAndRecoversOnACompleteListing()
    {
        var logger = new RecordingLogger<DiscoveryReconciler>();
        var reconciler = new DiscoveryReconciler(_provider, [new("dns")], Options.Create(new GatewayOptions { EntryPorts = [8888] }), _metrics, _time, logger);
        reconciler.Publish(Snapshot("dns", Web(Task("t1"))));
        var states = new List<DiscoverySourceState>();

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            reconciler.PublishPartial(Snapshot("dns", Web(Task("t1"))), "tasks.api: TryAgain");
            states.Add(reconciler.Sources[0].State);
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        reconciler.Publish(Snapshot("dns", Web(Task("t1"))));

        Assert.All(states, state => Assert.Equal(DiscoverySourceState.Failing, state));
        Assert.Equal(1, logger.Count(LogLevel.Error));
        Assert.Equal(5, _metrics.DiscoveryErrors.WithLabels("dns").Value);
        var recovered = Assert.Single(reconciler.Sources);
        Assert.Equal(DiscoverySourceState.Up, recovered.State);
        Assert.Null(recovered.LastError);
        Assert.Equal(0, recovered.ConsecutiveFailures);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("recovered after 00:00:10 and 5 failed attempts", StringComparison.Ordinal));
        Assert.Equal(1, _metrics.DiscoverySourceUp.WithLabels("dns").Value);
    }

    [Fact]
    public void PublishPartial_DuringAnOutage_DoesNotLogAgain()
    {
        var logger = new RecordingLogger<DiscoveryReconciler>();
        var reconciler = new DiscoveryReconciler(_provider, [new("dns")], Options.Create(new GatewayOptions { EntryPorts = [8888] }), _metrics, _time, logger);
        reconciler.Publish(Snapshot("dns", Web(Task("t1"))));

        reconciler.ReportFailure("dns", "tasks.web: TryAgain; tasks.api: TryAgain");
        reconciler.PublishPartial(Snapshot("dns", Web(Task("t2", "10.0.0.2"))), "tasks.api: TryAgain");
        reconciler.ReportFailure("dns", "tasks.web: TryAgain; tasks.api: TryAgain");

        Assert.Equal(1, logger.Count(LogLevel.Error));
        Assert.Equal(3, reconciler.Sources[0].ConsecutiveFailures);
        Assert.Contains("10.0.0.2", _provider.GetConfig().Clusters.Single().Destinations!.Single().Value.Address, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_DnsServiceAlsoSeenByApi_IsLeftToTheApi()
    {
        var reconciler = Create("docker", "dns");
        reconciler.Publish(Snapshot("docker", Service("ingress_hostname", Labels("ingress.publish=8888:8888"), [Task("t1")], ageRank: 1)));

        reconciler.Publish(Snapshot("dns", Service("hostname", Labels("ingress.publish=8888:8888"), [Task("10.0.0.9", "10.0.0.9")], ageRank: 2, source: "dns")));

        var state = Assert.Single(reconciler.Table.Services);
        Assert.Equal("docker", state.Service.Source);
        Assert.Equal(ServiceRouteStatus.Routed, state.Status);
    }

    private sealed class CountingLogger : Microsoft.Extensions.Logging.ILogger<DiscoveryReconciler>
    {
        public int Errors { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Error)
            {
                Errors++;
            }
        }
    }
}
