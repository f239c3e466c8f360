using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Schema;

/// <summary>
/// Parses the client-policy labels (<c>ingress.ipallowlist</c>, <c>ingress.ratelimit.*</c>, <c>ingress.cors.*</c>), or route
/// metadata written from them, into <see cref="ClientPolicies"/>. Never throws: bad values become <see cref="LabelError"/>s.
/// </summary>
public static class ClientPolicyParser
{
    /// <summary>Parses the client-policy labels of <paramref name="labels"/>; null when there are none or they are invalid.</summary>
    public static ClientPolicies? Parse(IReadOnlyDictionary<string, string> labels, out ImmutableArray<LabelError> errors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var found = ImmutableArray.CreateBuilder<LabelError>();
        var policies = Parse(labels, found);
        errors = found.ToImmutable();
        return errors.IsEmpty ? policies : null;
    }

    internal static ClientPolicies? Parse(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        var allowList = ParseAllowList(labels, errors);
        var rateLimit = ParseRateLimit(labels, errors);
        var cors = ParseCors(labels, errors);
        return errors.Count == count && (allowList is not null || rateLimit is not null || cors is not null)
            ? new ClientPolicies(allowList, rateLimit, cors)
            : null;
    }

    private static IpAllowList? ParseAllowList(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.IpAllowList, out var value))
        {
            return null;
        }

        var ranges = ImmutableArray.CreateBuilder<IPNetwork>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryParseRange(part, out var range))
            {
                ranges.Add(range);
            }
            else
            {
                errors.Add(new LabelError(IngressLabels.IpAllowList, value,
                    $"'{part}' is not an IP address or a CIDR range (10.0.0.0/8, 192.168.1.7, 2001:db8::/32)"));
            }
        }

        if (ranges.Count == 0 && value.Trim().Length == 0)
        {
            errors.Add(new LabelError(IngressLabels.IpAllowList, value, "no address or range: a service nobody may use is ingress.enable=false"));
        }

        return ranges.Count > 0 ? new IpAllowList(ranges.ToImmutable()) : null;
    }

    private static bool TryParseRange(string text, out IPNetwork range)
    {
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.TryParse(text, out range);
        }

        if (IPAddress.TryParse(text, out var address) && !text.Contains('%', StringComparison.Ordinal))
        {
            range = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        range = default;
        return false;
    }

    private static RateLimitRule? ParseRateLimit(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        var hasPeriod = labels.TryGetValue(IngressLabels.RateLimitPeriod, out var periodValue);
        var hasBurst = labels.TryGetValue(IngressLabels.RateLimitBurst, out var burstValue);
        if (!labels.TryGetValue(IngressLabels.RateLimitAverage, out var averageValue))
        {
            if (hasPeriod)
            {
                errors.Add(new LabelError(IngressLabels.RateLimitPeriod, periodValue, $"needs {IngressLabels.RateLimitAverage}"));
            }

            if (hasBurst)
            {
                errors.Add(new LabelError(IngressLabels.RateLimitBurst, burstValue, $"needs {IngressLabels.RateLimitAverage}"));
            }

            return null;
        }

        if (!int.TryParse(averageValue.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var average) || average < 1)
        {
            errors.Add(new LabelError(IngressLabels.RateLimitAverage, averageValue, "expected a whole number of requests, 1 or more"));
        }

        var period = RateLimitRule.DefaultPeriod;
        if (hasPeriod && (!LabelParser.TryParseDuration(periodValue!, out period) || period < RateLimitRule.RefillInterval || period > TimeSpan.FromHours(1)))
        {
            errors.Add(new LabelError(IngressLabels.RateLimitPeriod, periodValue, "expected a duration between 100ms and 1h, such as 1s, 1m or 500ms"));
        }

        if (errors.Count != count)
        {
            return null;
        }

        var minimum = RateLimitRule.MinimumBurst(average, period);
        var burst = minimum;
        if (hasBurst)
        {
            if (!int.TryParse(burstValue!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out burst) || burst < 1)
            {
                errors.Add(new LabelError(IngressLabels.RateLimitBurst, burstValue, "expected a whole number of requests, 1 or more"));
                return null;
            }

            if (burst < minimum)
            {
                // The framework refills every 100 ms; a bucket smaller than one refill would cap the rate below the average.
                errors.Add(new LabelError(IngressLabels.RateLimitBurst, burstValue,
                    $"at least {minimum}: the bucket is refilled every 100 ms, and {average} per {PeriodText(period)} brings {minimum} each time"));
                return null;
            }
        }

        return new RateLimitRule(average, period, burst);
    }

    private static string PeriodText(TimeSpan period) =>
        period.Ticks % TimeSpan.TicksPerSecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)period.TotalSeconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{period.TotalMilliseconds}ms");

    private static CorsRule? ParseCors(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        var methods = ParseList(labels, IngressLabels.CorsMethods, IsMethod, "an HTTP method (GET, PUT, DELETE, ...)", allowAny: true, errors);
        var headers = ParseList(labels, IngressLabels.CorsHeaders, IsToken, "a header name", allowAny: true, errors);
        var expose = ParseList(labels, IngressLabels.CorsExposeHeaders, IsToken, "a header name", allowAny: false, errors);
        var credentials = LabelParser.ParseFlag(labels, IngressLabels.CorsCredentials, errors) == true;

        TimeSpan? maxAge = null;
        if (labels.TryGetValue(IngressLabels.CorsMaxAge, out var maxAgeValue))
        {
            if (int.TryParse(maxAgeValue.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                maxAge = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                errors.Add(new LabelError(IngressLabels.CorsMaxAge, maxAgeValue, "expected whole seconds, 0 or more"));
            }
        }

        if (!labels.TryGetValue(IngressLabels.CorsOrigins, out var originsValue))
        {
            foreach (var key in (ReadOnlySpan<string>)[IngressLabels.CorsMethods, IngressLabels.CorsHeaders, IngressLabels.CorsExposeHeaders, IngressLabels.CorsCredentials, IngressLabels.CorsMaxAge])
            {
                if (labels.TryGetValue(key, out var value))
                {
                    errors.Add(new LabelError(key, value, $"needs {IngressLabels.CorsOrigins}: the origins allowed"));
                }
            }

            return null;
        }

        var origins = ParseList(labels, IngressLabels.CorsOrigins, IsOrigin, "an origin (scheme://host[:port], no path; https://*.example.com for subdomains)", allowAny: true, errors);
        if (origins.IsEmpty && errors.Count == count)
        {
            errors.Add(new LabelError(IngressLabels.CorsOrigins, originsValue, "no origin: give origins such as https://app.example.com, or *"));
        }

        if (credentials && origins is [CorsRule.Any])
        {
            // Browsers refuse credentials with Access-Control-Allow-Origin: *, and ASP.NET Core refuses to build such a policy.
            errors.Add(new LabelError(IngressLabels.CorsCredentials, labels[IngressLabels.CorsCredentials],
                $"not with {IngressLabels.CorsOrigins}=*: browsers refuse credentials for any origin; list the origins instead"));
        }

        return errors.Count == count ? new CorsRule(origins, methods, headers, expose, credentials, maxAge) : null;
    }

    /// <summary>A comma list; <c>*</c> alone for any (when <paramref name="allowAny"/>), else each item checked by <paramref name="isValid"/>.</summary>
    private static ImmutableArray<string> ParseList(
        IReadOnlyDictionary<string, string> labels, string key, Func<string, bool> isValid, string expected, bool allowAny, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(key, out var value))
        {
            return [];
        }

        var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (allowAny && items is [CorsRule.Any])
        {
            return [CorsRule.Any];
        }

        var list = ImmutableArray.CreateBuilder<string>();
        foreach (var item in items)
        {
            if (!isValid(item))
            {
                errors.Add(new LabelError(key, value, item == CorsRule.Any
                    ? (allowAny ? "'*' means any: give it alone" : "'*' is not allowed here: list the names")
                    : $"'{item}' is not {expected}"));
                continue;
            }

            list.Add(key == IngressLabels.CorsOrigins ? item.ToLowerInvariant() : item);
        }

        return list.ToImmutable();
    }

    private static bool IsToken(string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAscii(c) || !HttpSyntax.TokenChars.Contains((byte)c))
            {
                return false;
            }
        }

        return name.Length > 0 && name != CorsRule.Any;
    }

    private static bool IsMethod(string method) => IsToken(method);

    /// <summary>An origin as browsers send it: <c>http</c> or <c>https</c>, a host, an optional port, nothing else; <c>*.</c> before the host for subdomains.</summary>
    private static bool IsOrigin(string origin)
    {
        var at = origin.IndexOf("://*.", StringComparison.Ordinal);
        var plain = at > 0 ? origin.Remove(at + 3, 2) : origin;
        return Uri.TryCreate(plain, UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https"
            && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
            && string.Equals(uri.GetLeftPart(UriPartial.Authority), plain.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
            && !plain.EndsWith('/')
            && uri.UserInfo.Length == 0;
    }
}
