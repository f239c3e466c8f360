using Ingress.Gateway.Proxy;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers what applies the policy labels on the YARP path (README, "Request and response policies").</summary>
internal static class PolicyReverseProxyBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="PolicyTransforms"/> to the routes with path or header policies, and ASP.NET Core's response
    /// compression (its options from <see cref="RouteCompression"/>, its provider <see cref="MinimumLengthCompressionProvider"/>),
    /// which <see cref="PortBranches"/> runs for the routes that compress.
    /// </summary>
    public static IReverseProxyBuilder AddRoutePolicies(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, PolicyTransforms>());
        // Before AddResponseCompression, whose own registration of the provider is a TryAdd.
        builder.Services.TryAddSingleton<IResponseCompressionProvider, MinimumLengthCompressionProvider>();
        builder.Services.AddResponseCompression(RouteCompression.Configure);
        return builder;
    }
}
