using Ingress.Gateway.Proxy;
using Ingress.Gateway.Resilience;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers the YARP path's side of the HTTP conformance rules (README, "Conformance").</summary>
internal static class ConformanceReverseProxyBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ConformanceTransforms"/> to every YARP route and <see cref="EmptyHostGuard"/> in front of the
    /// pipeline. The relay applies the same rules in <c>Http1/</c>; the response checks of the YARP path's connections
    /// (<see cref="WatchedConnection"/>) come with its client factory.
    /// </summary>
    public static IReverseProxyBuilder AddHttpConformance(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, ConformanceTransforms>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, EmptyHostGuard>());
        return builder;
    }
}
