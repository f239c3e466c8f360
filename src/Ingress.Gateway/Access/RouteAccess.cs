using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Access;

/// <summary>
/// The endpoint metadata of a route with an access policy (<c>ingress.auth.*</c>): <see cref="AccessMiddleware"/> checks
/// the requests of the endpoints that carry it, before anything picks a replica.
/// </summary>
/// <param name="Policy">What is checked.</param>
/// <param name="UsersFile">The users file of <see cref="AccessPolicy.Basic"/>, resolved once for the route; null without basic auth.</param>
/// <param name="Service">The route's service (or route ID), for the metrics.</param>
internal sealed record RouteAccess(AccessPolicy Policy, UsersFile? UsersFile, string Service)
{
    /// <summary>The access metadata for <paramref name="route"/>, or null when its metadata asks for none (or is invalid: YARP's validation reports it).</summary>
    public static RouteAccess? For(RouteConfig route, UsersFiles files)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(files);
        if (route.Access(out _) is not { } policy)
        {
            return null;
        }

        var service = route.Metadata?.GetValueOrDefault(RouteMetadata.ServiceKey) ?? route.RouteId;
        return new RouteAccess(policy, policy.Basic is { } basic ? files.For(basic.UsersFile) : null, service);
    }

    /// <summary>True when the request's route has an access policy.</summary>
    public static bool Applies(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<RouteAccess>() is not null;
}
