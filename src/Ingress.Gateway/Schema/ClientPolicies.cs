using System.Collections.Immutable;
using System.Globalization;
using System.Net;

namespace Ingress.Gateway.Schema;

/// <summary>
/// Who may use a route and how much (<c>ingress.ipallowlist</c>, <c>ingress.ratelimit.*</c>, <c>ingress.cors.*</c>): the
/// policies decided per client. Applied by the YARP path, in this order: allow-list, rate limit, CORS; the relay hands the
/// routes that have any of them to it.
/// </summary>
/// <param name="AllowList">The client addresses allowed; null allows every client.</param>
/// <param name="RateLimit">The requests allowed per client; null for no limit.</param>
/// <param name="Cors">The cross-origin requests browsers are told to allow; null leaves CORS to the replica.</param>
public sealed record ClientPolicies(IpAllowList? AllowList, RateLimitRule? RateLimit, CorsRule? Cors)
{
    /// <summary>The labels that stand for these policies, with canonical values; discovery writes them as route metadata.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        if (AllowList is not null)
        {
            yield return new(IngressLabels.IpAllowList, AllowList.ToString());
        }

        foreach (var label in RateLimit?.ToLabels() ?? [])
        {
            yield return label;
        }

        foreach (var label in Cors?.ToLabels() ?? [])
        {
            yield return label;
        }
    }
}

/// <summary>The client address ranges allowed to use a route (<c>ingress.ipallowlist</c>; Traefik's <c>ipAllowList.sourceRange</c>).</summary>
/// <param name="Ranges">IPv4 and IPv6 networks; a single address is a /32 or /128.</param>
public sealed record IpAllowList(ImmutableArray<IPNetwork> Ranges)
{
    /// <summary>True when <paramref name="client"/> is in one of the ranges; an IPv4-mapped IPv6 address matches IPv4 ranges (<see cref="IPNetwork.Contains"/> does it).</summary>
    public bool Allows(IPAddress client)
    {
        foreach (var range in Ranges)
        {
            if (range.Contains(client))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public bool Equals(IpAllowList? other) => other is not null && Ranges.SequenceEqual(other.Ranges);

    /// <inheritdoc/>
    public override int GetHashCode() => Ranges.Length;

    /// <summary>The ranges as the label writes them: <c>10.0.0.0/8,192.168.1.7/32</c>.</summary>
    public override string ToString() => string.Join(',', Ranges);
}

/// <summary>
/// A token bucket per client (<c>ingress.ratelimit.*</c>; Traefik's <c>rateLimit</c>): <see cref="Average"/> requests per
/// <see cref="Period"/> on average, at most <see cref="Burst"/> at once.
/// </summary>
/// <param name="Average">Requests per period (the refill rate of the bucket).</param>
/// <param name="Period">The period of <see cref="Average"/>.</param>
/// <param name="Burst">The size of the bucket: requests a client that has been quiet may send at once.</param>
public sealed record RateLimitRule(int Average, TimeSpan Period, int Burst)
{
    /// <summary>The period when <c>ingress.ratelimit.period</c> is not set (Traefik's default).</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How often the framework's partitioned limiter refills its buckets (<c>PartitionedRateLimiter.Create</c> ticks every 100 ms).</summary>
    public static readonly TimeSpan RefillInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The least burst with which <see cref="Average"/> can be reached: what one refill brings. A smaller bucket would overflow
    /// at every refill and cap the rate below the average.
    /// </summary>
    public static int MinimumBurst(int average, TimeSpan period) =>
        Math.Max(1, (int)Math.Ceiling(average * (RefillInterval / period)));

    /// <summary>The labels that stand for this rule, with canonical values.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        yield return new(IngressLabels.RateLimitAverage, Average.ToString(CultureInfo.InvariantCulture));
        yield return new(IngressLabels.RateLimitPeriod, Period.Ticks % TimeSpan.TicksPerSecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)Period.TotalSeconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{Period.TotalMilliseconds}ms"));
        yield return new(IngressLabels.RateLimitBurst, Burst.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// The CORS answers a route gives browsers (<c>ingress.cors.*</c>; Traefik's <c>headers.accessControl*</c>), as ASP.NET Core's
/// CORS middleware applies them. <c>*</c> alone in a list means any.
/// </summary>
/// <param name="Origins">Allowed origins (<c>https://app.example.com</c>, <c>https://*.example.com</c>) or <c>*</c>.</param>
/// <param name="Methods">Methods a preflight may ask for, or <c>*</c>; empty: none beyond the CORS-safelisted ones.</param>
/// <param name="Headers">Request headers a preflight may ask for, or <c>*</c>.</param>
/// <param name="ExposeHeaders">Response headers scripts may read beyond the safelisted ones.</param>
/// <param name="Credentials">Browsers may send cookies and credentials (never together with origin <c>*</c>).</param>
/// <param name="MaxAge">How long browsers may cache a preflight answer; null: the browser's default.</param>
public sealed record CorsRule(
    ImmutableArray<string> Origins, ImmutableArray<string> Methods, ImmutableArray<string> Headers, ImmutableArray<string> ExposeHeaders, bool Credentials, TimeSpan? MaxAge)
{
    /// <summary>The value of a list label meaning any.</summary>
    public const string Any = "*";

    /// <inheritdoc/>
    public bool Equals(CorsRule? other) =>
        other is not null && Origins.SequenceEqual(other.Origins) && Methods.SequenceEqual(other.Methods) && Headers.SequenceEqual(other.Headers)
        && ExposeHeaders.SequenceEqual(other.ExposeHeaders) && Credentials == other.Credentials && MaxAge == other.MaxAge;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Origins.Length, Methods.Length, Headers.Length, Credentials, MaxAge);

    /// <summary>The labels that stand for this rule, with canonical values.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        yield return new(IngressLabels.CorsOrigins, string.Join(',', Origins));
        if (!Methods.IsEmpty)
        {
            yield return new(IngressLabels.CorsMethods, string.Join(',', Methods));
        }

        if (!Headers.IsEmpty)
        {
            yield return new(IngressLabels.CorsHeaders, string.Join(',', Headers));
        }

        if (!ExposeHeaders.IsEmpty)
        {
            yield return new(IngressLabels.CorsExposeHeaders, string.Join(',', ExposeHeaders));
        }

        if (Credentials)
        {
            yield return new(IngressLabels.CorsCredentials, "true");
        }

        if (MaxAge is { } maxAge)
        {
            yield return new(IngressLabels.CorsMaxAge, ((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }
    }
}
