using System.Diagnostics;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// What the gateway adds to ASP.NET Core's server span: a low-cardinality name, <c>{method} {service}</c> (every
/// route of a gateway has a catch-all template, so the template alone names nothing), and the YARP route, the service
/// and the replica that answered.
/// </summary>
internal static class ServerSpan
{
    /// <summary>The YARP route's ID.</summary>
    public const string RouteAttribute = "ingress.route";

    /// <summary>The service (the cluster) the route leads to.</summary>
    public const string ServiceAttribute = "ingress.service";

    /// <summary>The replica (YARP destination) that served the request's last attempt.</summary>
    public const string DestinationAttribute = "ingress.destination";

    /// <summary>Called by the ASP.NET Core instrumentation as the request ends; requests YARP did not route are left as they are.</summary>
    public static void Enrich(Activity activity, HttpResponse response)
    {
        if (response.HttpContext.Features.Get<IReverseProxyFeature>() is not { } proxy)
        {
            return;
        }

        var service = proxy.Cluster?.Config.ServiceName();
        activity.SetTag(RouteAttribute, proxy.Route.Config.RouteId);
        if (service is not null)
        {
            activity.DisplayName = $"{response.HttpContext.Request.Method} {service}";
            activity.SetTag(ServiceAttribute, service);
        }

        if (proxy.ProxiedDestination is { } destination)
        {
            activity.SetTag(DestinationAttribute, destination.DestinationId);
        }
    }
}
