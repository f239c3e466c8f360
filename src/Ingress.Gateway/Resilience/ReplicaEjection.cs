using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// Takes a failing replica out of rotation and decides when it comes back: the one way both data paths eject. After the
/// reactivation period the replica returns only if a TCP connection to it succeeds; if none does (its node is off, its
/// task is dead but still listed), it stays out and is tried again every second, without a single request spent on it.
/// A successful active probe (<see cref="ProbeRecoveryPolicy"/>) brings it back at once, and a replica that discovery
/// drops is forgotten.
/// </summary>
/// <remarks>
/// Why not YARP's reactivation alone: it returns a replica after the period whatever its state, so a replica on a node
/// that died is tried by live requests again every period until Swarm notices the node is down (12 s or more), each
/// time costing those requests a connect timeout.
/// </remarks>
internal sealed partial class ReplicaEjection : IDisposable
{
    /// <summary>How long YARP's own reactivation is put off: this class brings replicas back well before.</summary>
    internal static readonly TimeSpan YarpHold = TimeSpan.FromHours(24);

    /// <summary>Between two connection attempts to a replica that could not be reached.</summary>
    internal static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly IDestinationHealthUpdater _updater;
    private readonly TimeProvider _time;
    private readonly TimeSpan _connectTimeout;
    private readonly ILogger<ReplicaEjection> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<DestinationState, Ejected> _ejected = new(ReferenceEqualityComparer.Instance);
    private readonly ITimer _timer;
    private bool _checking;

    public ReplicaEjection(IDestinationHealthUpdater updater, IOptions<ResilienceOptions> options, TimeProvider time, ILogger<ReplicaEjection> logger)
    {
        _updater = updater;
        _time = time;
        _connectTimeout = options.Value.ConnectTimeout;
        _logger = logger;
        _timer = time.CreateTimer(_ => _ = CheckAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Takes <paramref name="destination"/> out of rotation; it is tried again after <paramref name="reactivation"/>.</summary>
    public void Eject(ClusterState cluster, DestinationState destination, TimeSpan reactivation)
    {
        _updater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, YarpHold);
        var due = _time.GetUtcNow() + reactivation;
        lock (_gate)
        {
            _ejected[destination] = new Ejected(cluster, due);
            Arm(due);
        }
    }

    /// <summary>The replicas out of rotation now, for tests and the dashboard's sake.</summary>
    internal int Count
    {
        get { lock (_gate) { return _ejected.Count; } }
    }

    private void Arm(DateTimeOffset due)
    {
        if (!_checking)
        {
            var wait = due - _time.GetUtcNow();
            _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task CheckAsync()
    {
        List<(DestinationState Destination, Ejected Entry)> due = [];
        lock (_gate)
        {
            _checking = true;
            var now = _time.GetUtcNow();
            foreach (var (destination, entry) in _ejected)
            {
                if (entry.Due <= now || IsSettled(destination, entry))
                {
                    due.Add((destination, entry));
                }
            }
        }

        var results = new List<(DestinationState Destination, Ejected Entry, bool? Reached)>(due.Count);
        try
        {
            foreach (var (destination, entry) in due)
            {
                results.Add((destination, entry, IsSettled(destination, entry) ? true : await TryConnectAsync(destination).ConfigureAwait(false)));
            }
        }
        catch (Exception ex)
        {
            LogCheckFailed(ex);
        }

        lock (_gate)
        {
            foreach (var (destination, entry, reached) in results)
            {
                if (!_ejected.TryGetValue(destination, out var stored) || !ReferenceEquals(stored, entry))
                {
                    continue; // Ejected again meanwhile: that ejection decides.
                }

                if (reached is true)
                {
                    _ejected.Remove(destination);
                    if (!IsSettled(destination, entry))
                    {
                        _updater.SetPassive(entry.Cluster, destination, DestinationHealth.Unknown, TimeSpan.Zero);
                        LogBack(entry.Cluster.ClusterId, destination.DestinationId);
                    }

                    continue;
                }

                // Unreachable, or the gateway could not tell (its own shortage): out for another interval.
                if (reached is false && !entry.Unreachable)
                {
                    LogStillUnreachable(entry.Cluster.ClusterId, destination.DestinationId, RetryInterval.TotalSeconds);
                }

                _ejected[destination] = entry with { Due = _time.GetUtcNow() + RetryInterval, Unreachable = entry.Unreachable || reached is false };
            }

            _checking = false;
            if (_ejected.Count > 0)
            {
                Arm(_ejected.Values.Min(e => e.Due));
            }
        }
    }

    /// <summary>Back in rotation already (an active probe succeeded), or no longer a destination of its cluster.</summary>
    private static bool IsSettled(DestinationState destination, Ejected entry) =>
        destination.Health.Passive != DestinationHealth.Unhealthy
        || !entry.Cluster.Destinations.TryGetValue(destination.DestinationId, out var current)
        || !ReferenceEquals(current, destination);

    /// <summary>True when a TCP connection to the replica succeeds within the connect timeout; null when the gateway could not tell (its own shortage).</summary>
    private async Task<bool?> TryConnectAsync(DestinationState destination)
    {
        if (!Uri.TryCreate(destination.Model.Config.Address, UriKind.Absolute, out var address))
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(_connectTimeout, _time);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address.IdnHost, address.Port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException ex) when (ForwarderFailure.GatewayShortage(ex) is not null)
        {
            return null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>An ejected replica: its cluster, when it is next tried, and whether a try already failed.</summary>
    private sealed record Ejected(ClusterState Cluster, DateTimeOffset Due, bool Unreachable = false);

    [LoggerMessage(330, LogLevel.Information, "Replica {Destination} of cluster {Cluster} answers connections again: back in rotation.")]
    private partial void LogBack(string cluster, string destination);

    [LoggerMessage(332, LogLevel.Error, "Checking ejected replicas failed unexpectedly; they are tried again in a second.")]
    private partial void LogCheckFailed(Exception exception);

    [LoggerMessage(331, LogLevel.Warning, "Replica {Destination} of cluster {Cluster} still cannot be reached: it stays out of rotation and is tried every {Seconds} s until it answers or discovery drops it.")]
    private partial void LogStillUnreachable(string cluster, string destination, double seconds);
}
