using System.Runtime.CompilerServices;
using Ingress.Gateway.Discovery;

namespace Ingress.Gateway.Routing;

/// <summary>
/// The plans <see cref="RouteTableBuilder"/> made for service instances it has seen, so a rebuild re-plans only the
/// services that changed. Discovery passes an unchanged service as the same instance
/// (<see cref="DiscoverySnapshot.ReuseUnchanged"/>); a plan goes when its instance does.
/// </summary>
internal sealed class ServicePlans
{
    private readonly ConditionalWeakTable<SwarmService, RouteTableBuilder.ServicePlan> _plans = [];
    private readonly ConditionalWeakTable<SwarmService, RouteTableBuilder.ServicePlan>.CreateValueCallback _create;

    public ServicePlans(int defaultEntryPort)
    {
        DefaultEntryPort = defaultEntryPort;
        _create = service => RouteTableBuilder.ServicePlan.Create(service, DefaultEntryPort);
    }

    /// <summary>The default entry port the plans were made for; a plan's rule routes are on it.</summary>
    public int DefaultEntryPort { get; }

    public RouteTableBuilder.ServicePlan For(SwarmService service) => _plans.GetValue(service, _create);
}
