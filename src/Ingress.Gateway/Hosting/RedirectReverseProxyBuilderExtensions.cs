using Ingress.Gateway.Proxy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers what answers the <c>ingress.redirect.*</c> and <c>ingress.hsts.*</c> labels on the YARP path (README, "Redirects and HSTS").</summary>
internal static class RedirectReverseProxyBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="HstsTransforms"/> to the routes that ask for HSTS, and <see cref="RouteRedirects"/>, which
    /// <see cref="PortBranches"/> puts on each redirecting route's endpoint for <see cref="RedirectMiddleware"/>.
    /// </summary>
    public static IReverseProxyBuilder AddRedirectsAndHsts(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, HstsTransforms>());
        builder.Services.TryAddSingleton<RouteRedirects>();
        return builder;
    }
}
