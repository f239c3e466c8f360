using Ingress.Gateway.Proxy;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers and runs the client policies on the YARP path (README, "Client policies: allow-list, rate limit, CORS").</summary>
internal static class ClientPolicyReverseProxyBuilderExtensions
{
    /// <summary>
    /// Adds ASP.NET Core's rate limiting (the global limiter is <see cref="RouteRateLimiter"/>) and CORS services, the
    /// rejection counter, and the validation of every route's client-policy metadata.
    /// </summary>
    public static IReverseProxyBuilder AddClientPolicies(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, ClientPolicyValidation>());
        services.TryAddSingleton<ClientPolicyRejections>();
        services.TryAddSingleton<RouteRateLimiter>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<RouteRateLimiter, ClientPolicyRejections>(RouteRateLimiter.Configure);
        // YARP registers the framework's provider already (it checks a route's CorsPolicy name through it): this one
        // takes its place, and hands every named or default policy to the framework's, so those work as before.
        services.AddCors();
        services.Replace(ServiceDescriptor.Singleton<ICorsPolicyProvider, RouteCorsPolicyProvider>());
        return builder;
    }

    /// <summary>
    /// The client policies' steps of the proxy pipeline, each a branch taken only by the routes whose endpoint carries it:
    /// the allow-list first (a refused client is not counted by the rate limit), then the rate limit, then CORS (a preflight
    /// is answered there). All before a replica is picked, so a refused request reaches no replica and is never retried.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseClientPolicies(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseWhen(RouteAllowList.Applies, allowed => allowed.UseMiddleware<RouteAllowList.Middleware>());
        proxy.UseWhen(RouteRateLimit.Applies, limited => limited.UseRateLimiter());
        proxy.UseWhen(RouteCors.Applies, cors => cors.UseCors());
        return proxy;
    }
}
