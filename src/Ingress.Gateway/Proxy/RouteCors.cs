using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// <c>ingress.cors.*</c> on a route's endpoint: its <see cref="CorsRule"/> as an ASP.NET Core <see cref="CorsPolicy"/>, which
/// the framework's CORS middleware (<c>UseCors()</c>, in the proxy pipeline) gets from <see cref="RouteCorsPolicyProvider"/>.
/// The middleware answers a preflight itself (<c>204</c>, never forwarded) and adds the CORS headers to the replica's
/// answer to an actual request; to an origin not allowed it adds none.
/// </summary>
/// <remarks>
/// Not the framework's <see cref="ICorsPolicyMetadata"/>: ASP.NET Core's endpoint middleware refuses to run an endpoint with
/// CORS metadata unless the CORS middleware ran before it, and YARP's proxy pipeline, where the client policies run in
/// their order (allow-list, rate limit, CORS), runs inside the endpoint.
/// </remarks>
internal sealed class RouteCors(CorsPolicy policy)
{
    public CorsPolicy Policy { get; } = policy;

    /// <summary>True when the request's route has a CORS policy.</summary>
    public static bool Applies(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<RouteCors>() is not null;

    /// <summary>The endpoint metadata for <paramref name="rule"/>.</summary>
    public static RouteCors Metadata(CorsRule rule) => new(PolicyOf(rule));

    /// <summary>The framework's policy: each list, or "any" for <c>*</c>; wildcard subdomains when an origin has <c>*.</c>.</summary>
    internal static CorsPolicy PolicyOf(CorsRule rule)
    {
        var builder = new CorsPolicyBuilder();
        if (rule.Origins is [CorsRule.Any])
        {
            builder.AllowAnyOrigin();
        }
        else
        {
            builder.WithOrigins([.. rule.Origins]);
            if (rule.Origins.Any(o => o.Contains("://*.", StringComparison.Ordinal)))
            {
                builder.SetIsOriginAllowedToAllowWildcardSubdomains();
            }
        }

        if (rule.Methods is [CorsRule.Any])
        {
            builder.AllowAnyMethod();
        }
        else
        {
            builder.WithMethods([.. rule.Methods]);
        }

        if (rule.Headers is [CorsRule.Any])
        {
            builder.AllowAnyHeader();
        }
        else
        {
            builder.WithHeaders([.. rule.Headers]);
        }

        builder.WithExposedHeaders([.. rule.ExposeHeaders]);
        if (rule.Credentials)
        {
            builder.AllowCredentials();
        }

        if (rule.MaxAge is { } maxAge)
        {
            builder.SetPreflightMaxAge(maxAge);
        }

        return builder.Build();
    }
}

/// <summary>
/// The application's <see cref="ICorsPolicyProvider"/>: the route's <see cref="RouteCors"/> policy for <c>UseCors()</c> without
/// a policy name, otherwise what the framework's <see cref="DefaultCorsPolicyProvider"/> gives (named and default policies of
/// <see cref="CorsOptions"/>).
/// </summary>
internal sealed class RouteCorsPolicyProvider(IOptions<CorsOptions> options) : ICorsPolicyProvider
{
    private readonly DefaultCorsPolicyProvider _framework = new(options);

    public Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName) =>
        policyName is null && context.GetEndpoint()?.Metadata.GetMetadata<RouteCors>() is { } route
            ? Task.FromResult<CorsPolicy?>(route.Policy)
            : _framework.GetPolicyAsync(context, policyName);
}
