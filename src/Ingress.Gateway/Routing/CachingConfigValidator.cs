using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Routing;

/// <summary>
/// YARP's config validation, remembered per config object: YARP validates every route and cluster on every apply, and
/// discovery hands it the same objects for every service that did not change (<see cref="Discovery.DiscoverySnapshot.ReuseUnchanged"/>, <see cref="ServicePlans"/>),
/// so with a thousand services a task change validates one cluster instead of a thousand routes and clusters.
/// </summary>
/// <remarks>
/// Only successes are remembered, weakly (an entry goes with its config object). Config objects are immutable, and
/// what else validation consults (the registered load-balancing, health and transform policies) is fixed at start-up.
/// One validator could read options that change at run time (YARP's timeout-policy validator reads
/// <c>RequestTimeoutOptions</c>), but the gateway registers no request-timeout policies, so a route naming one never
/// validates, and failures are not remembered.
/// </remarks>
internal sealed class CachingConfigValidator(IConfigValidator inner) : IConfigValidator
{
    private static readonly object Valid = new();
    private static readonly IList<Exception> NoErrors = Array.Empty<Exception>();

    private readonly ConditionalWeakTable<RouteConfig, object> _validRoutes = [];
    private readonly ConditionalWeakTable<ClusterConfig, object> _validClusters = [];

    public ValueTask<IList<Exception>> ValidateRouteAsync(RouteConfig route) =>
        _validRoutes.TryGetValue(route, out _) ? ValueTask.FromResult(NoErrors) : Validate(_validRoutes, route, inner.ValidateRouteAsync(route));

    public ValueTask<IList<Exception>> ValidateClusterAsync(ClusterConfig cluster) =>
        _validClusters.TryGetValue(cluster, out _) ? ValueTask.FromResult(NoErrors) : Validate(_validClusters, cluster, inner.ValidateClusterAsync(cluster));

    private static async ValueTask<IList<Exception>> Validate<T>(ConditionalWeakTable<T, object> valid, T config, ValueTask<IList<Exception>> validation)
        where T : class
    {
        var errors = await validation.ConfigureAwait(false);
        if (errors.Count == 0)
        {
            valid.TryAdd(config, Valid);
        }

        return errors;
    }
}
