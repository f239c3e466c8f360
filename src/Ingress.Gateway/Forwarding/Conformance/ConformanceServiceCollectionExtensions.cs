using Ingress.Gateway.Forwarding;
using Ingress.Gateway.Forwarding.Conformance;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

// Where ASP.NET Core and YARP put their registration extensions, so the call needs no using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the YARP path's side of the HTTP conformance rules (README, "Conformance").</summary>
internal static class ConformanceServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ConformanceTransforms"/> to every YARP route and <see cref="EmptyHostGuard"/> in front of the
    /// pipeline. The relay applies the same rules in <c>Http1/</c>; the response checks of the YARP path's connections
    /// (<see cref="WatchedConnection"/>) come with its client factory.
    /// </summary>
    public static IServiceCollection AddHttpConformance(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, ConformanceTransforms>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, EmptyHostGuard>());
        return services;
    }
}
