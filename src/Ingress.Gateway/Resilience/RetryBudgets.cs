using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// The retry budget of each cluster, shared by the relay and the YARP pipeline so that a service's retries are bounded
/// however its requests are forwarded.
/// </summary>
/// <remarks>
/// Keyed by YARP's <see cref="ClusterState"/>, which lives as long as its cluster (across config reloads), so the
/// budget of a removed service goes with it.
/// </remarks>
internal sealed class RetryBudgets
{
    private readonly ConditionalWeakTable<ClusterState, RetryBudget> _budgets = [];
    private readonly ConditionalWeakTable<ClusterState, RetryBudget>.CreateValueCallback _create;

    public RetryBudgets(IOptions<ResilienceOptions> options, TimeProvider time)
    {
        var resilience = options.Value;
        _create = _ => new RetryBudget(resilience.RetryBudgetRatio, resilience.RetryBudgetReserve, time);
    }

    /// <summary>The budget of <paramref name="cluster"/>, created on its first request.</summary>
    public RetryBudget For(ClusterState cluster) =>
        _budgets.TryGetValue(cluster, out var existing) ? existing : _budgets.GetValue(cluster, _create);
}
