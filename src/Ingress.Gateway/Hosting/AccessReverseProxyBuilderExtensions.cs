using Ingress.Gateway.Access;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers what applies the access labels (<c>ingress.auth.*</c>) on the YARP path (README, "Access policies").</summary>
internal static class AccessReverseProxyBuilderExtensions
{
    /// <summary>
    /// Adds the users files, forward auth with its <see cref="HttpClient"/> (<see cref="ForwardAuthentication.ClientName"/>),
    /// and the validation of every route's access metadata; <see cref="PortBranches"/> runs <see cref="AccessMiddleware"/>
    /// for the routes that have a policy.
    /// </summary>
    public static IReverseProxyBuilder AddAccessPolicies(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, AccessRouteValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<UsersFiles>();
        services.TryAddSingleton<ForwardAuthentication>();
        services.AddHttpClient(ForwardAuthentication.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A redirect (to a login page) is the client's to follow; cookies are the client's; no proxy between gateway and auth service.
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                // The policy's timeout bounds each exchange; connections are renewed so a rescheduled auth service is found again by DNS.
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            })
            // One log line per auth request would be one per proxied request: the gateway logs failures itself.
            .RemoveAllLoggers();
        return builder;
    }
}
