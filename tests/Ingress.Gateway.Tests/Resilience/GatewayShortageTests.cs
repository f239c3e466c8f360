using System.Net.Sockets;
using Ingress.Gateway.Relay;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Transport.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>The gateway's own shortages (local ports, descriptors, buffers): warned about, never held against a replica.</summary>
public sealed class GatewayShortageTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingLogger<GatewayShortageLog> _logger = new();

    [Fact]
    public void Log_WarnsAtOnce_ThenAtMostOncePerInterval_CountingWhatItLeftOut()
    {
        var log = new GatewayShortageLog(_time, _logger);

        Assert.True(log.TryReport("web/80", "t1", RelayConnectFailure(Errno.EADDRNOTAVAIL)));
        Assert.True(log.TryReport("web/80", "t2", RelayConnectFailure(Errno.EADDRNOTAVAIL)));
        Assert.True(log.TryReport("web/80", "t3", ConnectFailures.Of(SocketError.AddressNotAvailable)));
        Assert.False(log.TryReport("web/80", "t3", RelayConnectFailure(Errno.ECONNREFUSED)));
        Assert.False(log.TryReport("web/80", "t3", ConnectFailures.Of(SocketError.ConnectionRefused)));
        _time.Advance(GatewayShortageLog.Interval);
        Assert.True(log.TryReport("web/80", "t1", RelayConnectFailure(Errno.EMFILE)));

        var warnings = _logger.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.Contains("no free local port toward that address (EADDRNOTAVAIL)", warnings[0], StringComparison.Ordinal);
        Assert.Contains("0 more since the last warning", warnings[0], StringComparison.Ordinal);
        Assert.Contains("no file descriptor left", warnings[1], StringComparison.Ordinal);
        Assert.Contains("2 more since the last warning", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Probes_FailingForTheGatewaysShortage_NeverMakeAReplicaUnhealthy_FailingForTheReplica_Do()
    {
        var updater = new RecordingHealthUpdater();
        var policy = new ProbeRecoveryPolicy(updater, new GatewayShortageLog(_time, _logger));
        var cluster = new ClusterState("web/80");
        var replica = new DestinationState("t1");

        for (var i = 0; i < ProbeRecoveryPolicy.FailureThreshold + 1; i++)
        {
            policy.ProbingCompleted(cluster, [new DestinationProbingResult(replica, null, ConnectFailures.Of(SocketError.AddressNotAvailable))]);
        }

        Assert.All(updater.Active, health => Assert.Equal(DestinationHealth.Unknown, health));
        Assert.Equal(1, _logger.Count(LogLevel.Warning));

        for (var i = 0; i < ProbeRecoveryPolicy.FailureThreshold; i++)
        {
            policy.ProbingCompleted(cluster, [new DestinationProbingResult(replica, null, ConnectFailures.Of(SocketError.ConnectionRefused))]);
        }

        Assert.Equal(DestinationHealth.Unhealthy, updater.Active[^1]);
    }

    /// <summary>A connect of the relay's that failed with <paramref name="errno"/>, as the relay reports it to both paths' rules.</summary>
    private static Exception? RelayConnectFailure(int errno) =>
        ((IForwarderErrorFeature)UpstreamError.For(UpstreamFailure.ConnectFailed, errno, unacknowledgedTimeoutMs: 1000)).Exception;

    /// <summary>Records what the policy decides; YARP's updater would also schedule reactivation and rebuild the cluster's lists.</summary>
    private sealed class RecordingHealthUpdater : IDestinationHealthUpdater
    {
        public List<DestinationHealth> Active { get; } = [];

        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
        {
            foreach (var state in newHealthStates)
            {
                Active.Add(state.NewActiveHealth);
                state.Destination.Health.Active = state.NewActiveHealth;
            }
        }

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod) =>
            destination.Health.Passive = newHealth;
    }
}
