using System.Collections.Immutable;
using System.Globalization;
using Ingress.Gateway.Http1;
using Yarp.ReverseProxy.LoadBalancing;

namespace Ingress.Gateway.Schema;

/// <summary>Parses the <c>ingress.*</c> labels of one service. Never throws: bad values become <see cref="LabelError"/>s.</summary>
public static class LabelParser
{
    private static readonly Dictionary<string, string> s_policies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["round_robin"] = LoadBalancingPolicies.RoundRobin,
        ["least_requests"] = LoadBalancingPolicies.LeastRequests,
        ["power_of_two"] = LoadBalancingPolicies.PowerOfTwoChoices,
        ["random"] = LoadBalancingPolicies.Random,
    };

    /// <summary>Parses <paramref name="labels"/>; returns the routing, or null with at least one error.</summary>
    public static ServiceRouting? Parse(IReadOnlyDictionary<string, string> labels, out ImmutableArray<LabelError> errors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var found = ImmutableArray.CreateBuilder<LabelError>();

        foreach (var key in labels.Keys)
        {
            if (IngressLabels.IsIngressLabel(key) && !IngressLabels.IsKnown(key))
            {
                found.Add(new LabelError(key, labels[key], $"unknown label; known labels are {string.Join(", ", IngressLabels.Known)}"));
            }
        }

        var enabled = ParseEnable(labels, found);
        var publish = ParsePublish(labels, found);
        var rule = ParseRule(labels, found);
        var policy = ParsePolicy(labels, found);
        var probe = ParseHealthCheck(labels, found);
        var timeout = ParseDuration(labels, IngressLabels.Timeout, found);
        var protocol = ParseScheme(labels, found);
        var acme = ParseAcme(labels, rule, found);
        var redirect = ParseRedirect(labels, found);
        var hsts = ParseHsts(labels, found);
        var policies = ParsePolicies(labels, found);
        // Access policies (ingress.auth.*): their own parser, AccessLabelParser.
        var access = AccessLabelParser.Parse(labels, found);
        var sticky = StickySession.Parse(labels, found);
        var weight = RouteWeight.Parse(labels, found);
        var clients = ClientPolicyParser.Parse(labels, found);
        if (redirect is { Scheme: "http" } && hsts is not null)
        {
            found.Add(new LabelError(IngressLabels.RedirectScheme, labels[IngressLabels.RedirectScheme],
                $"redirects HTTPS to HTTP while {IngressLabels.HstsMaxAge} tells browsers to use HTTPS only: they would loop"));
        }

        if (enabled && publish.IsEmpty && rule is null && found.Count == 0)
        {
            found.Add(new LabelError(IngressLabels.Publish, null, $"the service has ingress labels but no route: set {IngressLabels.Publish}, or {IngressLabels.Host}/{IngressLabels.Path} with {IngressLabels.Port}, or {IngressLabels.Enable}=false"));
        }

        errors = found.ToImmutable();
        return errors.IsEmpty ? new ServiceRouting(enabled, publish, rule, policy, probe, timeout, protocol, redirect, hsts, acme, policies, access, clients)
        {
            Sticky = sticky,
            Weight = weight,
        } : null;
    }

    /// <summary>
    /// Parses the policy labels (<c>ingress.path.strip</c> with <c>ingress.path</c>, <c>ingress.path.add</c>,
    /// <c>ingress.request.headers.*</c>, <c>ingress.response.headers.*</c>, <c>ingress.compress</c>), or route metadata written
    /// from them; null when there are none or they are invalid.
    /// </summary>
    public static RoutePolicies? ParsePolicies(IReadOnlyDictionary<string, string> labels, out ImmutableArray<LabelError> errors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var found = ImmutableArray.CreateBuilder<LabelError>();
        var policies = ParsePolicies(labels, found);
        errors = found.ToImmutable();
        return errors.IsEmpty ? policies : null;
    }

    /// <summary>Parses the <c>ingress.redirect.*</c> labels (or route metadata written from them); null when there are none or they are invalid.</summary>
    public static RedirectRule? ParseRedirect(IReadOnlyDictionary<string, string> labels, out ImmutableArray<LabelError> errors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var found = ImmutableArray.CreateBuilder<LabelError>();
        var rule = ParseRedirect(labels, found);
        errors = found.ToImmutable();
        return errors.IsEmpty ? rule : null;
    }

    /// <summary>Parses the <c>ingress.hsts.*</c> labels (or route metadata written from them); null when there are none or they are invalid.</summary>
    public static HstsPolicy? ParseHsts(IReadOnlyDictionary<string, string> labels, out ImmutableArray<LabelError> errors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var found = ImmutableArray.CreateBuilder<LabelError>();
        var policy = ParseHsts(labels, found);
        errors = found.ToImmutable();
        return errors.IsEmpty ? policy : null;
    }

    private static bool ParseEnable(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        return ParseFlag(labels, IngressLabels.Enable, errors) ?? true;
    }

    private static ImmutableArray<PortMapping> ParsePublish(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.Publish, out var value))
        {
            return [];
        }

        var mappings = ImmutableArray.CreateBuilder<PortMapping>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':');
            var publishedText = colon < 0 ? part : part[..colon];
            var targetText = colon < 0 ? part : part[(colon + 1)..];
            if (!TryParsePort(publishedText, out var published) || !TryParsePort(targetText, out var target))
            {
                errors.Add(new LabelError(IngressLabels.Publish, value, $"'{part}' is not published:target with ports 1-65535 (e.g. 8888:8888)"));
                continue;
            }

            foreach (var existing in mappings)
            {
                if (existing.Published == published)
                {
                    errors.Add(new LabelError(IngressLabels.Publish, value, $"port {published} is published twice"));
                }
            }

            mappings.Add(new PortMapping(published, target));
        }

        return mappings.ToImmutable();
    }

    private static HttpRule? ParseRule(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var hasHost = labels.TryGetValue(IngressLabels.Host, out var hostValue);
        var hasPath = labels.TryGetValue(IngressLabels.Path, out var pathValue);
        var hasPort = labels.TryGetValue(IngressLabels.Port, out var portValue);
        if (!hasHost && !hasPath)
        {
            if (hasPort)
            {
                errors.Add(new LabelError(IngressLabels.Port, portValue, $"needs {IngressLabels.Host} or {IngressLabels.Path}; use {IngressLabels.Publish} for a port mapping"));
            }

            return null;
        }

        var valid = true;
        var hosts = ImmutableArray<string>.Empty;
        if (hasHost)
        {
            var builder = ImmutableArray.CreateBuilder<string>();
            foreach (var host in hostValue!.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!IsValidHost(host))
                {
                    errors.Add(new LabelError(IngressLabels.Host, hostValue, $"'{host}' is not a host name (letters, digits, '-', '.', an optional leading '*.')"));
                    valid = false;
                }
                else
                {
                    builder.Add(host.ToLowerInvariant());
                }
            }

            hosts = [.. builder.OrderBy(h => h, StringComparer.Ordinal)];
        }

        var path = "/";
        if (hasPath)
        {
            if (!IsValidPathPrefix(pathValue!))
            {
                errors.Add(new LabelError(IngressLabels.Path, pathValue, "expected a path prefix starting with '/', without spaces, '{', '}', '?' or '#'"));
                valid = false;
            }
            else
            {
                path = pathValue!.Length > 1 ? pathValue.TrimEnd('/') : pathValue;
                if (path.Length == 0)
                {
                    path = "/";
                }
            }
        }

        var target = 0;
        if (!hasPort)
        {
            errors.Add(new LabelError(IngressLabels.Port, null, $"required with {IngressLabels.Host}/{IngressLabels.Path}: the port the tasks listen on"));
            valid = false;
        }
        else if (!TryParsePort(portValue!, out target))
        {
            errors.Add(new LabelError(IngressLabels.Port, portValue, "expected a port 1-65535"));
            valid = false;
        }

        return valid ? new HttpRule(hosts, path, target) : null;
    }

    private static string ParsePolicy(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.LoadBalancing, out var value))
        {
            return LoadBalancingPolicies.RoundRobin;
        }

        if (s_policies.TryGetValue(value.Trim(), out var policy))
        {
            return policy;
        }

        errors.Add(new LabelError(IngressLabels.LoadBalancing, value, "expected round_robin, least_requests, power_of_two or random"));
        return LoadBalancingPolicies.RoundRobin;
    }

    private static BackendProtocol ParseScheme(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.Scheme, out var value))
        {
            return BackendProtocol.Http1;
        }

        switch (value.Trim().ToLowerInvariant())
        {
            case "http":
                return BackendProtocol.Http1;
            case "h2c":
                return BackendProtocol.H2c;
            default:
                errors.Add(new LabelError(IngressLabels.Scheme, value, "expected http or h2c (HTTP/2 over cleartext, for gRPC); TLS to tasks is not supported"));
                return BackendProtocol.Http1;
        }
    }

    private static bool ParseAcme(IReadOnlyDictionary<string, string> labels, HttpRule? rule, ImmutableArray<LabelError>.Builder errors)
    {
        if (ParseFlag(labels, IngressLabels.TlsAcme, errors) is not true)
        {
            return false;
        }

        var value = labels[IngressLabels.TlsAcme];

        if (!labels.ContainsKey(IngressLabels.Host))
        {
            errors.Add(new LabelError(IngressLabels.TlsAcme, value, $"needs {IngressLabels.Host}: the certificate is for the service's host names"));
            return false;
        }

        // HTTP-01, the only challenge answered, cannot prove control of a whole domain (RFC 8555 §7.1.3).
        foreach (var host in rule?.Hosts ?? [])
        {
            if (host.StartsWith("*.", StringComparison.Ordinal))
            {
                errors.Add(new LabelError(IngressLabels.TlsAcme, value, $"'{host}' is a wildcard: HTTP-01 validation cannot issue wildcard names (give the certificate as a swarm secret instead)"));
                return false;
            }
        }

        return true;
    }

    private static RedirectRule? ParseRedirect(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        string? scheme = null;
        if (labels.TryGetValue(IngressLabels.RedirectScheme, out var schemeValue))
        {
            scheme = schemeValue.Trim().ToLowerInvariant();
            if (scheme is not ("http" or "https"))
            {
                errors.Add(new LabelError(IngressLabels.RedirectScheme, schemeValue, "expected https or http"));
            }
        }

        string? host = null;
        if (labels.TryGetValue(IngressLabels.RedirectHost, out var hostValue))
        {
            host = hostValue.Trim().ToLowerInvariant();
            if (host.StartsWith("*.", StringComparison.Ordinal) || !IsValidHost(host))
            {
                errors.Add(new LabelError(IngressLabels.RedirectHost, hostValue, "expected one host name (letters, digits, '-', '.'), without a port or a wildcard"));
            }
        }

        int? port = null;
        if (labels.TryGetValue(IngressLabels.RedirectPort, out var portValue))
        {
            if (TryParsePort(portValue, out var parsed))
            {
                port = parsed;
            }
            else
            {
                errors.Add(new LabelError(IngressLabels.RedirectPort, portValue, "expected a port 1-65535"));
            }
        }

        var permanent = ParseFlag(labels, IngressLabels.RedirectPermanent, errors, "expected true (308) or false (307)") ?? true;

        if (schemeValue is null && hostValue is null)
        {
            foreach (var key in (ReadOnlySpan<string>)[IngressLabels.RedirectPort, IngressLabels.RedirectPermanent])
            {
                if (labels.TryGetValue(key, out var value))
                {
                    errors.Add(new LabelError(key, value, $"needs {IngressLabels.RedirectScheme} or {IngressLabels.RedirectHost}"));
                }
            }

            return null;
        }

        return errors.Count == count ? new RedirectRule(scheme, host, port, permanent) : null;
    }

    private static HstsPolicy? ParseHsts(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        var includeSubdomains = ParseFlag(labels, IngressLabels.HstsIncludeSubdomains, errors) == true;
        var preload = ParseFlag(labels, IngressLabels.HstsPreload, errors) == true;
        if (!labels.TryGetValue(IngressLabels.HstsMaxAge, out var maxAgeValue))
        {
            foreach (var key in (ReadOnlySpan<string>)[IngressLabels.HstsIncludeSubdomains, IngressLabels.HstsPreload])
            {
                if (labels.TryGetValue(key, out var value))
                {
                    errors.Add(new LabelError(key, value, $"needs {IngressLabels.HstsMaxAge}"));
                }
            }

            return null;
        }

        if (!int.TryParse(maxAgeValue.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var maxAge))
        {
            errors.Add(new LabelError(IngressLabels.HstsMaxAge, maxAgeValue, "expected whole seconds, 0 to 2147483647 (31536000 is a year)"));
        }
        else if (preload && (!includeSubdomains || maxAge < HstsPolicy.PreloadMinimumMaxAge))
        {
            // hstspreload.org refuses anything less, and a preloaded host is hard to take off the lists: refuse it here.
            errors.Add(new LabelError(IngressLabels.HstsPreload, labels[IngressLabels.HstsPreload],
                $"needs {IngressLabels.HstsIncludeSubdomains}=true and {IngressLabels.HstsMaxAge} of at least {HstsPolicy.PreloadMinimumMaxAge} (one year), as the preload lists require"));
        }

        return errors.Count == count ? new HstsPolicy(maxAge, includeSubdomains, preload) : null;
    }

    private static RoutePolicies? ParsePolicies(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        string? strip = null;
        if (ParseFlag(labels, IngressLabels.PathStrip, errors) == true)
        {
            var stripValue = labels[IngressLabels.PathStrip];
            if (!labels.TryGetValue(IngressLabels.Path, out var pathValue) || !IsValidPathPrefix(pathValue))
            {
                errors.Add(new LabelError(IngressLabels.PathStrip, stripValue, $"needs a valid {IngressLabels.Path}: the prefix to strip"));
            }
            else if (NormalizePrefix(pathValue) is "/")
            {
                errors.Add(new LabelError(IngressLabels.PathStrip, stripValue, $"{IngressLabels.Path}=/ leaves nothing to strip"));
            }
            else
            {
                strip = NormalizePrefix(pathValue);
            }
        }

        string? add = null;
        if (labels.TryGetValue(IngressLabels.PathAdd, out var addValue))
        {
            var prefix = NormalizePrefix(addValue.Trim());
            if (!IsPlainPath(prefix))
            {
                errors.Add(new LabelError(IngressLabels.PathAdd, addValue, "expected a path prefix such as /api: '/' then letters, digits and -._~!$&'()*+,;=:@/ (no '%', spaces, '?' or '#')"));
            }
            else if (prefix == "/")
            {
                errors.Add(new LabelError(IngressLabels.PathAdd, addValue, "'/' adds nothing: give a prefix such as /api"));
            }
            else
            {
                add = prefix;
            }
        }

        var request = ParseHeaders(labels, IngressLabels.RequestHeadersSetPrefix, IngressLabels.RequestHeadersAddPrefix, IngressLabels.RequestHeadersRemove, isRequest: true, errors);
        var response = ParseHeaders(labels, IngressLabels.ResponseHeadersSetPrefix, IngressLabels.ResponseHeadersAddPrefix, IngressLabels.ResponseHeadersRemove, isRequest: false, errors);
        var compress = ParseFlag(labels, IngressLabels.Compress, errors) == true;
        if (errors.Count != count || (strip is null && add is null && request.IsEmpty && response.IsEmpty && !compress))
        {
            return null;
        }

        return new RoutePolicies(strip, add, request, response, compress);
    }

    private static HeaderPolicy ParseHeaders(
        IReadOnlyDictionary<string, string> labels, string setPrefix, string addPrefix, string removeKey, bool isRequest, ImmutableArray<LabelError>.Builder errors)
    {
        var set = new List<KeyValuePair<string, string>>();
        var add = new List<KeyValuePair<string, string>>();
        var remove = new List<string>();
        var changedBy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var target = key.StartsWith(setPrefix, StringComparison.Ordinal) ? set : key.StartsWith(addPrefix, StringComparison.Ordinal) ? add : null;
            if (target is null)
            {
                continue;
            }

            var name = key[(target == set ? setPrefix : addPrefix).Length..];
            var problem = HeaderNameProblem(name, isRequest) ?? HeaderValueProblem(value) ?? ChangedTwice(name, key, changedBy);
            if (problem is not null)
            {
                errors.Add(new LabelError(key, value, problem));
                continue;
            }

            target.Add(new(name, value.Trim()));
        }

        if (labels.TryGetValue(removeKey, out var removeValue))
        {
            foreach (var name in removeValue.Split(',', StringSplitOptions.TrimEntries))
            {
                if ((HeaderNameProblem(name, isRequest) ?? ChangedTwice(name, removeKey, changedBy)) is { } problem)
                {
                    errors.Add(new LabelError(removeKey, removeValue, problem));
                    continue;
                }

                remove.Add(name);
            }
        }

        return set.Count == 0 && add.Count == 0 && remove.Count == 0 ? HeaderPolicy.None : new HeaderPolicy([.. set], [.. add], [.. remove]);
    }

    /// <summary>Why <paramref name="name"/> cannot be changed by a label, or null: it must be a token (RFC 9110 5.1), and one the gateway does not own.</summary>
    internal static string? HeaderNameProblem(string name, bool isRequest)
    {
        if (name.Length == 0)
        {
            return "no header name: expected a name such as X-Env";
        }

        foreach (var c in name)
        {
            if (!char.IsAscii(c) || !HttpSyntax.TokenChars.Contains((byte)c))
            {
                return $"'{name}' is not a header name (RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~)";
            }
        }

        return KnownHeaders.Classify(name) switch
        {
            var kind when HopByHopHeaders.IsHopByHop(kind) => $"{name} is hop-by-hop: it describes one connection and is never forwarded",
            KnownHeader.ContentLength => "Content-Length frames the message: the gateway and the replica write it",
            KnownHeader.Host when isRequest => "the gateway sets Host to the replica's address",
            KnownHeader.Forwarding when isRequest => $"{name} is written by the gateway itself (X-Forwarded-For, -Proto, -Host, -Prefix), never taken from labels or clients",
            KnownHeader.Expect when isRequest => "Expect is answered by the gateway (100-continue), never forwarded",
            _ => null,
        };
    }

    /// <summary>Why <paramref name="value"/> cannot be a header value, or null: printable ASCII and tabs only, not empty.</summary>
    private static string? HeaderValueProblem(string value)
    {
        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            return "a header value may not contain CR, LF or NUL";
        }

        foreach (var c in value)
        {
            if (c != '\t' && c is < ' ' or > '~')
            {
                return "expected printable ASCII: no control characters, and nothing beyond ASCII";
            }
        }

        return value.Trim().Length == 0 ? "empty value: to remove a header, list it in the ...headers.remove label" : null;
    }

    private static string? ChangedTwice(string name, string key, Dictionary<string, string> changedBy)
    {
        if (changedBy.TryGetValue(name, out var other))
        {
            return $"{name} is changed by {other} too: give each header one of set, add or remove";
        }

        changedBy[name] = key;
        return null;
    }

    /// <summary>A path prefix as routes use it: without a trailing '/', except <c>/</c> itself.</summary>
    private static string NormalizePrefix(string path)
    {
        var trimmed = path.Trim();
        return trimmed.Length > 1 && trimmed.TrimEnd('/') is { Length: > 0 } prefix ? prefix : trimmed.Length > 0 ? "/" : trimmed;
    }

    private static bool IsPlainPath(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in path)
        {
            if (!char.IsAscii(c) || !HttpSyntax.PlainPathChars.Contains((byte)c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A <c>true</c>/<c>false</c> label (any case, spaces trimmed): null when absent, so that each caller states its own
    /// default; any other value is an error, <paramref name="expected"/>, and reads as false.
    /// </summary>
    internal static bool? ParseFlag(
        IReadOnlyDictionary<string, string> labels, string key, ImmutableArray<LabelError>.Builder errors, string expected = "expected true or false")
    {
        if (!labels.TryGetValue(key, out var value))
        {
            return null;
        }

        if (bool.TryParse(value.Trim(), out var flag))
        {
            return flag;
        }

        errors.Add(new LabelError(key, value, expected));
        return false;
    }

    private static HealthProbe? ParseHealthCheck(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var interval = ParseDuration(labels, IngressLabels.HealthCheckInterval, errors);
        var timeout = ParseDuration(labels, IngressLabels.HealthCheckTimeout, errors);
        if (!labels.TryGetValue(IngressLabels.HealthCheckPath, out var path))
        {
            if (interval is not null || timeout is not null)
            {
                errors.Add(new LabelError(IngressLabels.HealthCheckPath, null, "required with ingress.healthcheck.interval/timeout"));
            }

            return null;
        }

        if (!IsValidPathPrefix(path.Split('?', 2)[0]))
        {
            errors.Add(new LabelError(IngressLabels.HealthCheckPath, path, "expected a path starting with '/', e.g. /healthz"));
            return null;
        }

        return new HealthProbe(path, interval ?? HealthProbe.DefaultInterval, timeout ?? HealthProbe.DefaultTimeout);
    }

    private static TimeSpan? ParseDuration(IReadOnlyDictionary<string, string> labels, string key, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(key, out var value))
        {
            return null;
        }

        if (TryParseDuration(value, out var duration) && duration > TimeSpan.Zero && duration <= TimeSpan.FromHours(1))
        {
            return duration;
        }

        errors.Add(new LabelError(key, value, "expected a duration between 1ms and 1h, such as 500ms, 5s, 2m or 00:00:05"));
        return null;
    }

    /// <summary>Parses <c>500ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, plain seconds, or a TimeSpan such as <c>00:00:05</c>.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        text = text.Trim();
        duration = default;
        (string Suffix, double Milliseconds)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                duration = TimeSpan.FromMilliseconds(amount * ms);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }

        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }

    internal static bool TryParsePort(string text, out int port) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;

    private static bool IsValidHost(string host)
    {
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (name.Length is 0 or > 253 || name[0] == '.' || name[^1] == '.' || name.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidPathPrefix(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in path)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '{' or '}' or '?' or '#' or '*')
            {
                return false;
            }
        }

        return true;
    }
}
