using System.Collections.Immutable;

namespace Ingress.Gateway.Schema;

/// <summary>The routing a service asked for through its labels, parsed and validated.</summary>
/// <param name="Enabled">False when <c>ingress.enable=false</c>.</param>
/// <param name="Publish">Port mappings from <c>ingress.publish</c>.</param>
/// <param name="Rule">The host/path rule on the default entry port, if any.</param>
/// <param name="LoadBalancingPolicy">The YARP load-balancing policy name.</param>
/// <param name="HealthCheck">The active health check, if <c>ingress.healthcheck.path</c> is set.</param>
/// <param name="Timeout">The request timeout of the service's routes, if <c>ingress.timeout</c> is set.</param>
/// <param name="Protocol">How the gateway speaks to the tasks (<c>ingress.scheme</c>).</param>
/// <param name="Acme">Whether the gateway obtains a certificate for the rule's host names by ACME (<c>ingress.tls.acme</c>).</param>
/// <param name="Redirect">The redirect of the service's routes, if an <c>ingress.redirect.*</c> label is set.</param>
/// <param name="Hsts">The HSTS header of the service's responses over TLS, if <c>ingress.hsts.maxage</c> is set.</param>
/// <param name="Policies">What is done to the service's requests and responses on the way (path, headers, compression), if any such label is set.</param>
/// <param name="Access">Who may reach the service's replicas (basic auth, forward auth), if an <c>ingress.auth.*</c> label is set.</param>
/// <param name="Clients">Who may use the service and how much (IP allow-list, rate limit, CORS), if any such label is set.</param>
/// <param name="Sticky">Sticky sessions by cookie, if <c>ingress.sticky=true</c>.</param>
/// <param name="Weight">The service's share of a route it declares together with other weighted services (<c>ingress.weight</c>), if set.</param>
public sealed record ServiceRouting(
    bool Enabled,
    ImmutableArray<PortMapping> Publish,
    HttpRule? Rule,
    string LoadBalancingPolicy,
    HealthProbe? HealthCheck = null,
    TimeSpan? Timeout = null,
    BackendProtocol Protocol = BackendProtocol.Http1,
    RedirectRule? Redirect = null,
    HstsPolicy? Hsts = null,
    bool Acme = false,
    RoutePolicies? Policies = null,
    AccessPolicy? Access = null,
    ClientPolicies? Clients = null,
    StickySession? Sticky = null,
    int? Weight = null);

/// <summary>
/// What the gateway changes on a route's requests and responses (<c>ingress.path.strip</c>, <c>ingress.path.add</c>,
/// <c>ingress.request.headers.*</c>, <c>ingress.response.headers.*</c>, <c>ingress.compress</c>). Applied by the YARP path;
/// the relay hands the routes that have any of them to it.
/// </summary>
/// <param name="StripPrefix">The route's path prefix, removed before forwarding and sent as <c>X-Forwarded-Prefix</c>; null to keep the path.</param>
/// <param name="AddPrefix">A prefix put in front of the path (after stripping), without a trailing '/'; null for none.</param>
/// <param name="Request">The request headers removed, set and added.</param>
/// <param name="Response">The response headers removed, set and added.</param>
/// <param name="Compress">Text responses are compressed as the client accepts (brotli, gzip).</param>
public sealed record RoutePolicies(string? StripPrefix, string? AddPrefix, HeaderPolicy Request, HeaderPolicy Response, bool Compress)
{
    /// <summary>The labels that stand for these policies, with canonical values; discovery writes them as route metadata.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        if (StripPrefix is not null)
        {
            yield return new(IngressLabels.Path, StripPrefix);
            yield return new(IngressLabels.PathStrip, "true");
        }

        if (AddPrefix is not null)
        {
            yield return new(IngressLabels.PathAdd, AddPrefix);
        }

        foreach (var label in Request.ToLabels(IngressLabels.RequestHeadersSetPrefix, IngressLabels.RequestHeadersAddPrefix, IngressLabels.RequestHeadersRemove))
        {
            yield return label;
        }

        foreach (var label in Response.ToLabels(IngressLabels.ResponseHeadersSetPrefix, IngressLabels.ResponseHeadersAddPrefix, IngressLabels.ResponseHeadersRemove))
        {
            yield return label;
        }

        if (Compress)
        {
            yield return new(IngressLabels.Compress, "true");
        }
    }

    /// <summary>These policies without the prefix strip: what a route without a path prefix (a port mapping) gets; null when nothing is left.</summary>
    public RoutePolicies? WithoutStrip() =>
        this with { StripPrefix = null } is var rest && (rest.AddPrefix is not null || !rest.Request.IsEmpty || !rest.Response.IsEmpty || rest.Compress) ? rest : null;
}

/// <summary>Header changes in one direction, applied in this order: <see cref="Remove"/>, <see cref="Set"/>, <see cref="Add"/>.</summary>
/// <param name="Set">Headers set to a value, replacing any the message had.</param>
/// <param name="Add">Values appended to the header's values.</param>
/// <param name="Remove">Header names removed.</param>
public sealed record HeaderPolicy(ImmutableArray<KeyValuePair<string, string>> Set, ImmutableArray<KeyValuePair<string, string>> Add, ImmutableArray<string> Remove)
{
    /// <summary>No change.</summary>
    public static readonly HeaderPolicy None = new([], [], []);

    /// <summary>True when nothing is changed.</summary>
    public bool IsEmpty => Set.IsEmpty && Add.IsEmpty && Remove.IsEmpty;

    /// <inheritdoc/>
    public bool Equals(HeaderPolicy? other) =>
        other is not null && Set.SequenceEqual(other.Set) && Add.SequenceEqual(other.Add) && Remove.SequenceEqual(other.Remove);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Set.Length, Add.Length, Remove.Length);

    internal IEnumerable<KeyValuePair<string, string>> ToLabels(string setPrefix, string addPrefix, string removeKey)
    {
        foreach (var (name, value) in Set)
        {
            yield return new(setPrefix + name, value);
        }

        foreach (var (name, value) in Add)
        {
            yield return new(addPrefix + name, value);
        }

        if (!Remove.IsEmpty)
        {
            yield return new(removeKey, string.Join(',', Remove));
        }
    }
}

/// <summary>
/// A redirect answered by the gateway instead of forwarding (<c>ingress.redirect.*</c>): a request whose scheme differs from
/// <see cref="Scheme"/>, or whose host differs from <see cref="Host"/>, gets a <c>308</c> (or <c>307</c>) to the same path
/// and query on that scheme and host. A request already there is forwarded as usual, so a redirect never loops.
/// </summary>
/// <param name="Scheme"><c>http</c> or <c>https</c>; null keeps the request's scheme.</param>
/// <param name="Host">A host name (lower case); null keeps the request's host.</param>
/// <param name="Port">The port for the <c>Location</c>; null for the default (see the README's labels table).</param>
/// <param name="Permanent">308 when true (the default), 307 when false: both keep the method and the body.</param>
public sealed record RedirectRule(string? Scheme, string? Host, int? Port, bool Permanent)
{
    /// <summary>Whether a request over cleartext HTTP can be redirected: the relay hands such routes to Kestrel.</summary>
    public bool RedirectsCleartext => Scheme == "https" || Host is not null;

    /// <summary>Whether a request over TLS can be redirected (to http, or to another host).</summary>
    public bool RedirectsTls => Scheme == "http" || Host is not null;

    /// <summary>The labels that stand for this rule, with canonical values; discovery writes them as route metadata.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        if (Scheme is not null)
        {
            yield return new(IngressLabels.RedirectScheme, Scheme);
        }

        if (Host is not null)
        {
            yield return new(IngressLabels.RedirectHost, Host);
        }

        if (Port is { } port)
        {
            yield return new(IngressLabels.RedirectPort, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        yield return new(IngressLabels.RedirectPermanent, Permanent ? "true" : "false");
    }
}

/// <summary>The <c>Strict-Transport-Security</c> header a service's responses carry over TLS (<c>ingress.hsts.*</c>; RFC 6797).</summary>
/// <param name="MaxAge">Seconds a browser keeps to HTTPS for the host; 0 tells it to forget.</param>
/// <param name="IncludeSubDomains">The policy covers every subdomain too.</param>
/// <param name="Preload">Consent to be put on the browsers' preload lists (hstspreload.org).</param>
public sealed record HstsPolicy(int MaxAge, bool IncludeSubDomains, bool Preload)
{
    /// <summary>The least max-age the preload lists accept (one year).</summary>
    public const int PreloadMinimumMaxAge = 31_536_000;

    /// <summary>The header value, as ASP.NET Core's HSTS middleware writes it: <c>max-age=N; includeSubDomains; preload</c>.</summary>
    public string HeaderValue =>
        $"max-age={MaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(IncludeSubDomains ? "; includeSubDomains" : "")}{(Preload ? "; preload" : "")}";

    /// <summary>The labels that stand for this policy, with canonical values; discovery writes them as route metadata.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        yield return new(IngressLabels.HstsMaxAge, MaxAge.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new(IngressLabels.HstsIncludeSubdomains, IncludeSubDomains ? "true" : "false");
        yield return new(IngressLabels.HstsPreload, Preload ? "true" : "false");
    }
}

/// <summary>How the gateway speaks to a service's tasks (<c>ingress.scheme</c>).</summary>
public enum BackendProtocol
{
    /// <summary>HTTP/1.1 (<c>http</c>).</summary>
    Http1,

    /// <summary>HTTP/2 over cleartext with prior knowledge (<c>h2c</c>): gRPC.</summary>
    H2c,
}

/// <summary>An active HTTP probe of every task of a service.</summary>
/// <param name="Path">The path probed on the task's target port, with an optional query string (<c>/healthz?full=1</c>).</param>
/// <param name="Interval">Time between probes.</param>
/// <param name="Timeout">How long one probe may take.</param>
public sealed record HealthProbe(string Path, TimeSpan Interval, TimeSpan Timeout)
{
    /// <summary>The probe interval when <c>ingress.healthcheck.interval</c> is not set.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>The probe timeout when <c>ingress.healthcheck.timeout</c> is not set.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    /// <summary><see cref="Path"/> without its query string.</summary>
    public string PathOnly => Path.Split('?', 2)[0];

    /// <summary>The query string of <see cref="Path"/> with its leading '?', or null when it has none.</summary>
    public string? Query => Path.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 && at < Path.Length - 1 ? Path[at..] : null;
}

/// <summary>Requests reaching entry port <paramref name="Published"/> go to port <paramref name="Target"/> of every task.</summary>
public readonly record struct PortMapping(int Published, int Target)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Published}:{Target}";
}

/// <summary>A host and path-prefix rule served on the default entry port, forwarded to <paramref name="Target"/>.</summary>
/// <param name="Hosts">Host names to match; empty matches any host.</param>
/// <param name="PathPrefix">The path prefix, starting with <c>/</c>; <c>/</c> matches everything.</param>
/// <param name="Target">The port on every task.</param>
public sealed record HttpRule(ImmutableArray<string> Hosts, string PathPrefix, int Target)
{
    /// <inheritdoc/>
    public bool Equals(HttpRule? other) =>
        other is not null && PathPrefix == other.PathPrefix && Target == other.Target && Hosts.SequenceEqual(other.Hosts);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(PathPrefix, Target, Hosts.Length);
}

/// <summary>Why a label made its service unroutable.</summary>
/// <param name="Label">The label key.</param>
/// <param name="Value">The label value as given.</param>
/// <param name="Reason">What is wrong with it, in words a user can act on.</param>
public sealed record LabelError(string Label, string? Value, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => Value is null ? $"{Label}: {Reason}" : $"{Label}={Value}: {Reason}";
}
