using System.Globalization;
using System.Text;
using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.Features;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// One route's redirect (<c>ingress.redirect.*</c>), resolved once per route: it answers a request that is not on the
/// route's scheme and host with <c>308</c> (or <c>307</c>) to the same path and query there, through ASP.NET Core's
/// <see cref="HttpResponse.Redirect(string, bool, bool)"/>. Endpoint metadata of the route's YARP endpoint.
/// </summary>
/// <param name="rule">The route's redirect.</param>
/// <param name="httpsPort">The port for an <c>https</c> Location when the label gives none (<see cref="RouteRedirects"/>).</param>
/// <param name="hsts">The route's <c>Strict-Transport-Security</c> value, sent on the redirect too when it goes out over TLS.</param>
internal sealed class RouteRedirect(RedirectRule rule, int httpsPort, string? hsts)
{
    private const int HttpsDefaultPort = 443;
    private const int HttpDefaultPort = 80;

    public RedirectRule Rule { get; } = rule;

    /// <summary>The port an <c>https</c> Location gets when the label names none.</summary>
    public int HttpsPort { get; } = httpsPort;

    /// <summary>
    /// Answers <paramref name="context"/> with the redirect and returns true, or returns false when the request is already
    /// on the rule's scheme and host (it is forwarded then: a redirect never loops).
    /// </summary>
    public bool TryAnswer(HttpContext context)
    {
        var request = context.Request;
        var requestScheme = request.IsHttps ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        var scheme = Rule.Scheme ?? requestScheme;
        var requestHost = request.Host;
        var schemeChanges = !string.Equals(scheme, requestScheme, StringComparison.Ordinal);
        var hostChanges = Rule.Host is not null && !string.Equals(Rule.Host, requestHost.Host, StringComparison.OrdinalIgnoreCase);
        if (!schemeChanges && !hostChanges)
        {
            return false;
        }

        if (Rule.Host is null && !requestHost.HasValue)
        {
            // An HTTP/1.0 request without Host: there is no name to send it to, and the route is not served over this scheme.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return true;
        }

        // Another scheme is another port: the label's, else the scheme's; the same scheme keeps the port the client used.
        var port = Rule.Port ?? (schemeChanges ? (scheme == Uri.UriSchemeHttps ? HttpsPort : HttpDefaultPort) : requestHost.Port);
        var location = new StringBuilder(scheme.Length + 3 + (Rule.Host ?? requestHost.Host).Length + 64)
            .Append(scheme).Append("://").Append(Rule.Host ?? requestHost.Host);
        if (port is { } explicitPort && explicitPort != (scheme == Uri.UriSchemeHttps ? HttpsDefaultPort : HttpDefaultPort))
        {
            location.Append(':').Append(explicitPort.ToString(CultureInfo.InvariantCulture));
        }

        location.Append(PathAndQuery(context));
        if (hsts is not null)
        {
            HstsTransforms.AddHeader(context, hsts);
        }

        // 308 or 307: the method and the body stay as they were (RFC 9110 15.4.8-9), unlike 301/302 for a POST.
        context.Response.Redirect(location.ToString(), permanent: Rule.Permanent, preserveMethod: true);
        return true;
    }

    /// <summary>
    /// The request's path and query exactly as the client sent them (Kestrel's raw target: percent-encodings kept byte
    /// for byte), or rebuilt and escaped from the decoded path when the target was in absolute form or not ASCII.
    /// </summary>
    private static string PathAndQuery(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is { Length: > 0 } && raw[0] == '/' && Ascii.IsValid(raw) && raw.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            return raw;
        }

        var request = context.Request;
        return UriHelper.BuildRelative(request.PathBase, request.Path, request.QueryString);
    }
}
