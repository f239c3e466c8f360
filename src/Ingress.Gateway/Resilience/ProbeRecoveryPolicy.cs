using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// Active health from <c>ingress.healthcheck.*</c> probes: a replica is unhealthy after 2 failed probes in a row, and
/// a successful probe also ends a passive ejection at once, rather than waiting for the reactivation period. A probe
/// that failed for want of the gateway's own resources (<see cref="ForwarderFailure.GatewayShortage"/>) counts for
/// nothing either way.
/// </summary>
internal sealed class ProbeRecoveryPolicy(IDestinationHealthUpdater updater, GatewayShortageLog shortages) : IActiveHealthCheckPolicy
{
    /// <summary>The policy name used in cluster configs.</summary>
    public const string PolicyName = "IngressProbe";

    internal const int FailureThreshold = 2;

    private readonly ConditionalWeakTable<DestinationState, StrongBox<int>> _failures = [];

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        var results = new List<NewActiveDestinationHealth>(probingResults.Count);
        foreach (var result in probingResults)
        {
            if (shortages.TryReport(cluster.ClusterId, result.Destination.DestinationId, result.Exception))
            {
                results.Add(new NewActiveDestinationHealth(result.Destination, result.Destination.Health.Active));
                continue;
            }

            var failures = _failures.GetValue(result.Destination, _ => new StrongBox<int>());
            var healthy = result.Exception is null && result.Response is { IsSuccessStatusCode: true };
            failures.Value = healthy ? 0 : failures.Value + 1;

            var health = healthy ? DestinationHealth.Healthy
                : failures.Value >= FailureThreshold ? DestinationHealth.Unhealthy
                : result.Destination.Health.Active;
            results.Add(new NewActiveDestinationHealth(result.Destination, health));

            if (healthy && result.Destination.Health.Passive == DestinationHealth.Unhealthy)
            {
                updater.SetPassive(cluster, result.Destination, DestinationHealth.Healthy, TimeSpan.Zero);
            }
        }

        updater.SetActive(cluster, results);
    }
}
