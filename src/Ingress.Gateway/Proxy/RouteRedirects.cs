using System.Globalization;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Schema;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// Resolves a route's redirect (its <c>ingress.redirect.*</c> metadata) into the <see cref="RouteRedirect"/> its endpoint
/// carries, once per route, with the default port of an <c>https</c> Location.
/// </summary>
/// <remarks>
/// The default <c>https</c> port is the gateway's TLS port that serves the route's entry port when there is exactly one,
/// as ASP.NET Core's HTTPS redirection takes the server's single HTTPS port; else 443 (left out of the Location). Both are
/// the gateway's own ports: where Swarm publishes the TLS port under another number, the label has to give it.
/// </remarks>
internal sealed class RouteRedirects(IOptions<TlsOptions> tls)
{
    private const int HttpsDefaultPort = 443;

    /// <summary>The redirect of <paramref name="route"/>, or null when it has none (or invalid metadata, which <see cref="HstsTransforms"/> reports).</summary>
    public RouteRedirect? For(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.Redirect(out _) is not { } rule)
        {
            return null;
        }

        return new RouteRedirect(rule, HttpsPortFor(route), route.Hsts(out _)?.HeaderValue);
    }

    private int HttpsPortFor(RouteConfig route)
    {
        int? entryPort = route.Metadata?.TryGetValue(RouteMetadata.EntryPortKey, out var value) == true
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
        int? found = null;
        foreach (var tlsPort in tls.Value.Ports)
        {
            if (entryPort is null || tlsPort.Routes == entryPort)
            {
                if (found is not null)
                {
                    return HttpsDefaultPort;
                }

                found = tlsPort.Port;
            }
        }

        return found ?? HttpsDefaultPort;
    }
}
