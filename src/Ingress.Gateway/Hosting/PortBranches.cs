using Ingress.Gateway.Access;
using Ingress.Gateway.Acme;
using Ingress.Gateway.Admin;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Proxy;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Hosting;

/// <summary>
/// The admin port's and the entry ports' pipeline branches, each with a route builder, and so a route matcher, of its
/// own. YARP's routes (a thousand with a large swarm) stay out of the admin endpoints' matcher, which ASP.NET Core would
/// otherwise rebuild, routes and all, on every discovery change once <c>/metrics</c> had been scraped; and the admin
/// endpoints' method rules can never answer an entry-port request with 405.
/// </summary>
/// <remarks>
/// Plain <c>MapWhen</c> on the <see cref="WebApplication"/> gives that: a branch is created by the application's
/// <see cref="IApplicationBuilder.New"/>, which leaves out the application's own route builder ("so branched pipelines
/// have their own routing world"), and <c>UseRouting</c> in the branch then creates one for the branch alone.
/// ListenerSeparationTests fails if a branch ever shares a matcher with the other.
/// </remarks>
internal static class PortBranches
{
    /// <summary>Serves the admin endpoints on <see cref="GatewayOptions.AdminPort"/>, and nothing else there.</summary>
    public static WebApplication MapAdminPort(this WebApplication app, GatewayOptions options)
    {
        app.MapWhen(context => context.Connection.LocalPort == options.AdminPort, admin =>
        {
            if (!options.AdminOnBackendNetworks)
            {
                admin.Use(admin.ApplicationServices.GetRequiredService<BackendNetworkGuard>().Middleware);
            }

            admin.UseRouting();
            admin.UseEndpoints(endpoints => endpoints.MapAdminEndpoints(options.AdminPort));
        });
        return app;
    }

    /// <summary>Serves YARP's routes on every port but <paramref name="adminPort"/> (the entry ports).</summary>
    public static WebApplication MapEntryPorts(this WebApplication app, int adminPort)
    {
        // The route snapshot picks YARP's endpoint first, so YARP's own matcher is rarely built either.
        var selector = app.Services.GetRequiredService<ProxyEndpointSelector>();
        var acme = app.Services.GetService<Http01ChallengeStore>() is not null;
        var redirects = app.Services.GetRequiredService<RouteRedirects>();
        var usersFiles = app.Services.GetRequiredService<UsersFiles>();
        app.MapWhen(context => context.Connection.LocalPort != adminPort, entry =>
        {
            if (acme)
            {
                // First: a validation request is answered here whatever the routes say (the relay hands /.well-known/ targets to Kestrel).
                entry.UseAcmeHttp01Challenges();
            }

            entry.Use(selector.Wrap);
            entry.UseRouting();
            entry.UseEndpoints(endpoints =>
            {
                var before = endpoints.DataSources.Count;
                endpoints.MapReverseProxy(proxy =>
                {
                    proxy.UseMiddleware<RequestTelemetryMiddleware>();
                    proxy.UseMiddleware<RedirectMiddleware>();
                    // ingress.ipallowlist, ingress.ratelimit.*, ingress.cors.*: allow-list, rate limit, CORS, in that order.
                    proxy.UseClientPolicies();
                    // ingress.auth.*: after the client policies (a preflight is answered, a flood limited, before any bcrypt or auth call); a refused request never reaches a replica nor a retry.
                    proxy.UseWhen(RouteAccess.Applies, guarded => guarded.UseMiddleware<AccessMiddleware>());
                    // ingress.compress: the framework's middleware, on the routes that ask for it only (endpoint metadata).
                    proxy.UseWhen(RouteCompression.Applies, compressed => compressed.UseResponseCompression());
                    proxy.UseMiddleware<RetryMiddleware>();
                    proxy.UseSessionAffinity();
                    proxy.UseLoadBalancing();
                    proxy.UsePassiveHealthChecks();
                }).ConfigureEndpoints((endpoint, route) =>
                {
                    if (route.Metadata?.TryGetValue(RouteMetadata.EntryPortKey, out var value) == true
                        && int.TryParse(value, out var port))
                    {
                        endpoint.WithMetadata(new EntryPortMetadata(port));
                    }

                    if (route.Metadata?.ContainsKey(RouteMetadata.DiscoveredKey) == true)
                    {
                        endpoint.WithMetadata(DiscoveredRouteMetadata.Instance);
                    }

                    if (redirects.For(route) is { } redirect)
                    {
                        endpoint.WithMetadata(redirect);
                    }

                    if (RouteAccess.For(route, usersFiles) is { } access)
                    {
                        endpoint.WithMetadata(access);
                    }

                    if (route.Policies(out _) is { Compress: true })
                    {
                        endpoint.WithMetadata(RouteCompression.Instance);
                    }

                    ClientPolicyEndpoints.Add(endpoint, route);
                });
                selector.Attach(endpoints.DataSources.Skip(before).Single());
            });
        });
        return app;
    }
}
