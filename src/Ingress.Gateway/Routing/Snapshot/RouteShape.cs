using System.Buffers;
using System.Text;
using Ingress.Gateway.Http1;
using Microsoft.AspNetCore.Routing.Patterns;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>What one route matches, as the relay evaluates it; <see cref="Supported"/> false when it cannot.</summary>
/// <param name="Supported">The relay can evaluate the route's match (see <see cref="Of"/>).</param>
/// <param name="PathPrefix">The literal path prefix without a trailing slash; empty for the root.</param>
/// <param name="Precedence">ASP.NET Core's inbound precedence of the path pattern.</param>
/// <param name="Hosts">Host names and <c>*.suffix</c> wildcards; empty for any host.</param>
internal sealed record RouteShape(bool Supported, string PathPrefix, decimal Precedence, string[] Hosts)
{
    private static readonly RouteShape s_unsupported = new(false, "", 0, []);

    private static readonly SearchValues<char> s_hostNameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    /// <summary>
    /// Describes <paramref name="route"/>. The relay evaluates a route whose match is hosts (exact names or
    /// <c>*.suffix</c>) and a path of literal segments ending in a catch-all, and which has no per-route policy or
    /// transform; anything else is left to ASP.NET Core.
    /// </summary>
    public static RouteShape Of(RouteConfig route)
    {
        string[] hosts = [];
        var match = route.Match;
        if (match.Methods is { Count: > 0 } || match.Headers is { Count: > 0 } || match.QueryParameters is { Count: > 0 }
            || route.AuthorizationPolicy is not null || route.CorsPolicy is not null || route.RateLimiterPolicy is not null
            || route.OutputCachePolicy is not null || route.TimeoutPolicy is not null || route.Timeout is not null
            || route.MaxRequestBodySize is not null || route.Transforms is { Count: > 0 })
        {
            return s_unsupported;
        }

        if (match.Hosts is { Count: > 0 })
        {
            foreach (var host in match.Hosts)
            {
                var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
                if (name.Length == 0 || !Ascii.IsValid(name) || name.AsSpan().IndexOfAnyExcept(s_hostNameChars) >= 0)
                {
                    // "*", host:port, IDN and the like: ASP.NET Core's host matcher has rules of its own for them.
                    return s_unsupported;
                }
            }

            hosts = [.. match.Hosts];
        }

        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(match.Path ?? "/{**catchall}");
        }
        catch (RoutePatternException)
        {
            return s_unsupported;
        }

        var segments = pattern.PathSegments;
        if (segments.Count == 0 || segments[^1].Parts is not [RoutePatternParameterPart { IsCatchAll: true, Default: null, ParameterPolicies.Count: 0 }])
        {
            return s_unsupported;
        }

        var literal = new StringBuilder();
        for (var i = 0; i < segments.Count - 1; i++)
        {
            if (segments[i].Parts is not [RoutePatternLiteralPart part] || !IsPlainSegment(part.Content))
            {
                return s_unsupported;
            }

            literal.Append('/').Append(part.Content);
        }

        return new RouteShape(true, literal.ToString(), pattern.InboundPrecedence, hosts);
    }

    /// <summary>A literal segment the relay compares as bytes: plain path characters, and not a dot segment.</summary>
    private static bool IsPlainSegment(string content) =>
        content.Length > 0 && content is not ("." or "..") && Ascii.IsValid(content)
        && Encoding.ASCII.GetBytes(content).AsSpan().IndexOfAnyExcept(HttpSyntax.PlainPathChars) < 0
        && !content.Contains('/');
}
