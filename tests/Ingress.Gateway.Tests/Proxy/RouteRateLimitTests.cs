using System.Threading.RateLimiting;
using Ingress.Gateway.Proxy;
using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>The framework's token bucket as <see cref="RouteRateLimiter"/> configures it, and the <c>Retry-After</c> it gives.</summary>
public sealed class RouteRateLimitTests
{
    [Theory]
    [InlineData(1, 10, 3, 10)]
    [InlineData(100, 1, 10, 0.1)]
    [InlineData(5, 1, 2, 0.2)]
    public void BucketOptions_Burst_PassesExactly_ThenRefusesWithOneRefillToWait(int average, int periodSeconds, int burst, double retryAfterSeconds)
    {
        using var bucket = new TokenBucketRateLimiter(RouteRateLimiter.BucketOptions(new RateLimitRule(average, TimeSpan.FromSeconds(periodSeconds), burst)));

        var granted = Enumerable.Range(0, burst + 1).Select(_ => bucket.AttemptAcquire()).ToArray();

        Assert.All(granted[..burst], lease => Assert.True(lease.IsAcquired));
        Assert.False(granted[burst].IsAcquired);
        Assert.True(granted[burst].TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(retryAfterSeconds), retryAfter);
    }

    [Theory]
    [InlineData(0.1, "1")]
    [InlineData(1, "1")]
    [InlineData(1.2, "2")]
    [InlineData(10, "10")]
    [InlineData(0, "1")]
    public void RetryAfterSeconds_IsWholeSecondsRoundedUp_AtLeastOne(double seconds, string header)
    {
        Assert.Equal(header, RouteRateLimiter.RetryAfterSeconds(TimeSpan.FromSeconds(seconds)));
    }
}
