using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.RateLimiting;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// <c>ingress.ratelimit.*</c> on a route's endpoint: the route and its rule, which with the client's address make the
/// partition of <see cref="RouteRateLimiter"/>.
/// </summary>
/// <param name="RouteId">The route: two routes with the same rule still count apart.</param>
/// <param name="Rule">The token bucket every client of the route gets.</param>
internal sealed record RouteRateLimit(string RouteId, RateLimitRule Rule)
{
    /// <summary>True when the request's route limits its clients.</summary>
    public static bool Applies(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<RouteRateLimit>() is not null;
}

/// <summary>
/// The one global limiter of ASP.NET Core's rate limiting middleware (<c>UseRateLimiter</c>), which the proxy pipeline runs
/// for the routes with <see cref="RouteRateLimit"/> only: a <see cref="PartitionedRateLimiter"/> with a
/// <see cref="TokenBucketRateLimiter"/> per route and client address, and the <c>429</c> with <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// Memory stays bounded by the clients active in the last seconds: the framework's partitioned limiter refills every bucket
/// on one 100 ms timer and disposes a bucket that has stood full (idle) for 10 s. A route whose rule changes gets new
/// partitions (the rule is part of the key) and one that goes away gets no requests: either way the old buckets fill up
/// and are removed like any idle client's. A route reloaded with the same rule keeps its buckets. Counted per gateway
/// instance, as each Traefik instance counts for itself.
/// </remarks>
internal sealed class RouteRateLimiter : IDisposable
{
    public PartitionedRateLimiter<HttpContext> Limiter { get; } = PartitionedRateLimiter.Create<HttpContext, Partition>(PartitionOf);

    /// <summary>Sets the framework's options: this limiter as the global one, 429, and <c>Retry-After</c> with the rejected count.</summary>
    public static void Configure(RateLimiterOptions options, RouteRateLimiter limiter, ClientPolicyRejections rejections)
    {
        options.GlobalLimiter = limiter.Limiter;
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = (rejected, _) =>
        {
            if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            {
                rejected.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds(retryAfter);
            }

            rejections.Count(rejected.HttpContext, ClientPolicyRejections.RateLimit);
            return ValueTask.CompletedTask;
        };
    }

    /// <summary>Whole seconds, rounded up (a client told 0 would retry at once), at least 1.</summary>
    internal static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The framework's token bucket for <paramref name="rule"/>: <see cref="RateLimitRule.Burst"/> tokens, refilled at the
    /// average rate. The partitioned limiter refills continuously (by the time elapsed, on its 100 ms timer); the period given
    /// here is that of the smallest refill that brings a whole token at least every 100 ms, which is what the framework
    /// tells a rejected client to wait (<see cref="MetadataName.RetryAfter"/>).
    /// </summary>
    internal static TokenBucketRateLimiterOptions BucketOptions(RateLimitRule rule)
    {
        var tokens = RateLimitRule.MinimumBurst(rule.Average, rule.Period);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = rule.Burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = rule.Period * tokens / rule.Average,
            QueueLimit = 0,
            AutoReplenishment = false,
        };
    }

    public void Dispose() => Limiter.Dispose();

    private static RateLimitPartition<Partition> PartitionOf(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteRateLimit>() is not { } route)
        {
            return RateLimitPartition.GetNoLimiter(default(Partition));
        }

        return RateLimitPartition.GetTokenBucketLimiter(new Partition(route, ClientAddress.Of(context)), static key => BucketOptions(key.Route!.Rule));
    }

    /// <summary>One bucket: a route with its rule, and a client address.</summary>
    private readonly record struct Partition(RouteRateLimit? Route, IPAddress? Client);
}
