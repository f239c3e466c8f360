using Ingress.Gateway.Configuration;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Routing.Snapshot;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers how discovered routes reach YARP, how its routes are matched, and what YARP itself is given.</summary>
internal static class ProxyConfigServiceCollectionExtensions
{
    /// <summary>
    /// Adds the discovered routes' config provider, the entry-port and static-routes-first matcher policies, and the
    /// endpoint selector in front of ASP.NET Core's matcher. Called before YARP's <c>AddReverseProxy</c>, so the
    /// discovered routes' provider comes before the one <c>LoadFromConfig</c> adds, as it always has.
    /// </summary>
    public static IServiceCollection AddSwarmProxyConfig(this IServiceCollection services)
    {
        services.AddSingleton<SwarmProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<SwarmProxyConfigProvider>());
        services.AddSingleton<MatcherPolicy, EntryPortMatcherPolicy>();
        services.AddSingleton<MatcherPolicy, StaticRoutesFirstPolicy>();
        services.AddSingleton(sp => new ProxyEndpointSelector(sp.GetRequiredService<RelayRoutes>(), tls: sp.GetRequiredService<IOptions<TlsOptions>>().Value));
        return services;
    }

    /// <summary>Puts <see cref="CachingConfigValidator"/> in front of YARP's config validator.</summary>
    public static IReverseProxyBuilder AddConfigValidationCache(this IReverseProxyBuilder builder)
    {
        FrameworkInternals.WrapConfigValidator(builder.Services);
        return builder;
    }

    /// <summary>
    /// YARP's session-affinity cookies are the only user of data protection; the gateway keeps no keys on disk. Gives
    /// them the <see cref="LazyDataProtectionProvider"/>, and drops the key-ring warm-up that YARP's
    /// <c>AddDataProtection</c> registers.
    /// </summary>
    public static IReverseProxyBuilder AddLazyDataProtection(this IReverseProxyBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Singleton<IDataProtectionProvider, LazyDataProtectionProvider>());
        FrameworkInternals.RemoveDataProtectionStartup(builder.Services);
        return builder;
    }
}
