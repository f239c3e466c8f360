using System.Collections.Immutable;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Merges the latest snapshot of every discovery source, rebuilds the route table and hands it to YARP only when the
/// proxy config actually changed, so destination health and connection pools survive every unchanged poll.
/// </summary>
internal sealed partial class DiscoveryReconciler : IDiscoverySink
{
    private readonly Lock _gate = new();
    private readonly SwarmProxyConfigProvider _provider;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<DiscoveryReconciler> _logger;
    private readonly int[] _entryPorts;
    private readonly Dictionary<string, DiscoverySnapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DiscoverySourceStatus> _sources = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedInvalid = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taskGauges = new(StringComparer.Ordinal);
    private readonly ServicePlans? _plans;
    private RouteTable _table = RouteTable.Empty;

    public DiscoveryReconciler(
        SwarmProxyConfigProvider provider,
        IEnumerable<DiscoverySourceRegistration> sources,
        IOptions<GatewayOptions> options,
        GatewayMetrics metrics,
        TimeProvider time,
        ILogger<DiscoveryReconciler> logger,
        DiscoveryEventLog? events = null)
    {
        Events = events ?? new DiscoveryEventLog(time);
        _provider = provider;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _entryPorts = [.. options.Value.EntryPorts];
        _plans = _entryPorts.Length > 0 ? new ServicePlans(_entryPorts[0]) : null;
        foreach (var source in sources)
        {
            _sources[source.Name] = new DiscoverySourceStatus(source.Name, DiscoverySourceState.Pending, null, null, null, 0);
        }
    }

    /// <summary>Recent discovery events, for the dashboard.</summary>
    public DiscoveryEventLog Events { get; }

    /// <summary>The route table built from the latest snapshots, including skipped services.</summary>
    public RouteTable Table
    {
        get { lock (_gate) { return _table; } }
    }

    /// <summary>The status of every enabled source.</summary>
    public ImmutableArray<DiscoverySourceStatus> Sources
    {
        get { lock (_gate) { return [.. _sources.Values.OrderBy(s => s.Source, StringComparer.Ordinal)]; } }
    }

    /// <summary>True once every enabled source has completed a listing and its routes were handed to YARP.</summary>
    public bool IsReady
    {
        get
        {
            lock (_gate)
            {
                foreach (var status in _sources.Values)
                {
                    if (status.LastSuccess is null)
                    {
                        return false;
                    }
                }

                return true;
            }
        }
    }

    public void Publish(DiscoverySnapshot snapshot) => Accept(snapshot, failure: null);

    public void PublishPartial(DiscoverySnapshot snapshot, string failure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(failure);
        Accept(snapshot, failure);
    }

    public void ReportFailure(string source, string reason)
    {
        lock (_gate)
        {
            MarkFailing(source, reason, listedAt: null);
        }
    }

    /// <summary>Takes a snapshot into the route table; a <paramref name="failure"/> keeps the source failing meanwhile.</summary>
    private void Accept(DiscoverySnapshot snapshot, string? failure)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            var previous = _sources.GetValueOrDefault(snapshot.Source);
            if (failure is not null)
            {
                MarkFailing(snapshot.Source, failure, snapshot.TakenAt);
            }
            else
            {
                if (previous is { State: DiscoverySourceState.Failing, FailingSince: { } since })
                {
                    LogSourceRecovered(snapshot.Source, _time.GetUtcNow() - since, previous.ConsecutiveFailures);
                    Events.Add("source-recovered", null, $"discovery source {snapshot.Source} recovered after {(_time.GetUtcNow() - since).TotalSeconds:0.#} s");
                }

                _sources[snapshot.Source] = new DiscoverySourceStatus(snapshot.Source, DiscoverySourceState.Up, snapshot.TakenAt, null, null, 0);
                _metrics.DiscoverySourceUp.WithLabels(snapshot.Source).Set(1);
            }

            // Unchanged services keep their instances, and with them the routes and clusters built for them.
            var stored = _snapshots.GetValueOrDefault(snapshot.Source);
            snapshot = snapshot.ReuseUnchanged(stored);
            var first = previous?.LastSuccess is null;
            if (!first && snapshot.HasSameContent(stored))
            {
                return;
            }

            _snapshots[snapshot.Source] = snapshot;
            Rebuild(force: first);
        }
    }

    /// <summary>
    /// Counts a failure and marks the source failing. <paramref name="listedAt"/> is set when the failure came with a
    /// partial listing: the source did list (so it counts towards readiness) but stays failing, rather than flapping
    /// between up and failing on every poll while one part keeps failing.
    /// </summary>
    private void MarkFailing(string source, string reason, DateTimeOffset? listedAt)
    {
        _metrics.DiscoveryErrors.WithLabels(source).Inc();
        _metrics.DiscoverySourceUp.WithLabels(source).Set(0);
        var previous = _sources.GetValueOrDefault(source)
            ?? new DiscoverySourceStatus(source, DiscoverySourceState.Pending, null, null, null, 0);
        if (previous.State != DiscoverySourceState.Failing)
        {
            // Once per outage: the source's own loop retries and would otherwise log every attempt.
            if (listedAt is null)
            {
                LogSourceFailing(source, reason, _snapshots.ContainsKey(source));
                Events.Add("source-failing", null, $"discovery source {source} is failing: {reason}; last known routes kept");
            }
            else
            {
                LogSourcePartlyFailing(source, reason);
                Events.Add("source-failing", null, $"discovery source {source} is partly failing: {reason}; those keep their last known routes, the rest is updated");
            }
        }

        _sources[source] = previous with
        {
            State = DiscoverySourceState.Failing,
            LastSuccess = listedAt ?? previous.LastSuccess,
            FailingSince = previous.FailingSince ?? _time.GetUtcNow(),
            LastError = reason,
            ConsecutiveFailures = previous.ConsecutiveFailures + 1,
        };
    }

    private void Rebuild(bool force)
    {
        var table = RouteTableBuilder.Build(Merge(), _entryPorts, _plans);
        ReportInvalid(table);
        UpdateTaskGauges(table);

        var proxyChanged = !table.HasSameProxyConfig(_table);
        Events.AddChanges(_table, table);
        _table = table;
        if (proxyChanged || force)
        {
            _provider.Update(table);
            _metrics.ConfigReloads.Inc();
            _metrics.ConfigLastReloadSuccess.Set(_time.GetUtcNow().ToUnixTimeMilliseconds() / 1000d);
            LogConfigPublished(_provider.Revision, table.Routes.Length, table.Clusters.Length, CountDestinations(table));
            Events.Add("config-reload", null, $"proxy config revision {_provider.Revision}: {table.Routes.Length} routes, {table.Clusters.Length} clusters, {CountDestinations(table)} destinations");
        }
    }

    /// <summary>
    /// The sources that see the swarm itself (the Docker API, or the manager gateways a follower follows) are
    /// authoritative; DNS fills in the services they do not see.
    /// </summary>
    private List<SwarmService> Merge()
    {
        var merged = new List<SwarmService>();
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, snapshot) in _snapshots)
        {
            if (source == DnsSwarmSource.SourceName)
            {
                continue;
            }

            foreach (var service in snapshot.Services)
            {
                merged.Add(service);
                seenNames.Add(service.Name);
                var underscore = service.Name.IndexOf('_', StringComparison.Ordinal);
                if (underscore > 0)
                {
                    seenNames.Add(service.Name[(underscore + 1)..]);
                }
            }
        }

        if (_snapshots.TryGetValue(DnsSwarmSource.SourceName, out var dns))
        {
            foreach (var service in dns.Services)
            {
                if (!seenNames.Contains(service.Name))
                {
                    merged.Add(service);
                }
            }
        }

        return merged;
    }

    private void ReportInvalid(RouteTable table)
    {
        var current = new HashSet<string>(StringComparer.Ordinal);
        var invalid = 0;
        foreach (var state in table.Services)
        {
            if (state.Status != ServiceRouteStatus.Invalid)
            {
                continue;
            }

            invalid++;
            var errors = string.Join("; ", state.Errors);
            var key = state.Service.Name + "\n" + errors;
            current.Add(key);
            if (_reportedInvalid.Add(key))
            {
                LogServiceSkipped(state.Service.Name, errors);
                _metrics.InvalidLabels.WithLabels(state.Service.Name).Inc();
            }
        }

        _reportedInvalid.IntersectWith(current);
        _metrics.InvalidServices.Set(invalid);
    }

    private void UpdateTaskGauges(RouteTable table)
    {
        // A service passed again as the same instance has the same tasks: its gauge is already right.
        var unchanged = new HashSet<SwarmService>(_table.Services.Select(s => s.Service), ReferenceEqualityComparer.Instance);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in table.Services)
        {
            seen.Add(state.Service.Name);
            if (!unchanged.Contains(state.Service))
            {
                _metrics.DiscoveredTasks.WithLabels(state.Service.Name).Set(state.Service.Tasks.Length);
            }
        }

        foreach (var gone in _taskGauges)
        {
            if (!seen.Contains(gone))
            {
                _metrics.DiscoveredTasks.RemoveLabelled(gone);
            }
        }

        _taskGauges.Clear();
        _taskGauges.UnionWith(seen);
    }

    private static int CountDestinations(RouteTable table)
    {
        var count = 0;
        foreach (var cluster in table.Clusters)
        {
            count += cluster.Destinations?.Count ?? 0;
        }

        return count;
    }
}
