using Ingress.Gateway.Discovery;
using Ingress.Gateway.Hosting;
using Ingress.Gateway.ProxyConfig;
using Ingress.Gateway.Reconciliation;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Reconciliation;

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
