using Ingress.Gateway.Schema;
namespace Ingress.Gateway.Discovery.Dns;

/// <summary>Settings of the DNS discovery source (<c>Ingress:Discovery:Dns</c>), which needs no Docker socket.</summary>
/// <remarks>
/// Defaults: disabled; <c>tasks.&lt;name&gt;</c> resolved every 2 s (Swarm's DNS has a TTL of 0, so there is nothing to
/// honour); a lookup times out after 2 s; failures back off from 1 s to 30 s.
/// </remarks>
public sealed class DnsDiscoveryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Discovery:Dns";

    /// <summary>Switches the source on.</summary>
    public bool Enabled { get; set; }

    /// <summary>How often every service's <c>tasks.&lt;name&gt;</c> is resolved. Positive, at most 1 h.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The timeout of one lookup. Positive, at most 1 min: a pass resolves every name together and ends with its
    /// slowest lookup, so while one name hangs this delays the others' updates too.
    /// </summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest delay between retries while no name answers (a resolver outage). Positive, at most 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The name queried is <c>{QueryPrefix}{Name}</c>; Swarm answers <c>tasks.</c> names with every task IP.</summary>
    public string QueryPrefix { get; set; } = "tasks.";

    /// <summary>The services to resolve, with the routing that the Docker API source would read from labels.</summary>
    public List<DnsServiceOptions> Services { get; set; } = [];
}

/// <summary>One service resolved through DNS. Its routing uses the same schema as the <c>ingress.*</c> labels.</summary>
public sealed class DnsServiceOptions
{
    /// <summary>The Swarm service name (the <c>tasks.</c> name), e.g. <c>hostname</c> within a stack network.</summary>
    public string Name { get; set; } = "";

    /// <summary>As the <c>ingress.publish</c> label: <c>published:target</c>[,...].</summary>
    public string? Publish { get; set; }

    /// <summary>As the <c>ingress.host</c> label.</summary>
    public string? Host { get; set; }

    /// <summary>As the <c>ingress.path</c> label.</summary>
    public string? Path { get; set; }

    /// <summary>As the <c>ingress.port</c> label.</summary>
    public int? Port { get; set; }

    /// <summary>As the <c>ingress.lb</c> label.</summary>
    public string? LoadBalancing { get; set; }

    /// <summary>As the <c>ingress.scheme</c> label.</summary>
    public string? Scheme { get; set; }

    /// <summary>As the <c>ingress.tls.acme</c> label.</summary>
    public string? Acme { get; set; }

    /// <summary>As the <c>ingress.redirect.*</c> labels: <c>Redirect:Scheme</c>, <c>Redirect:Host</c>, <c>Redirect:Port</c>, <c>Redirect:Permanent</c>.</summary>
    public DnsRedirectOptions Redirect { get; set; } = new();

    /// <summary>As the <c>ingress.hsts.*</c> labels: <c>Hsts:MaxAge</c>, <c>Hsts:IncludeSubdomains</c>, <c>Hsts:Preload</c>.</summary>
    public DnsHstsOptions Hsts { get; set; } = new();

    /// <summary>As the <c>ingress.path.strip</c> label.</summary>
    public string? PathStrip { get; set; }

    /// <summary>As the <c>ingress.path.add</c> label.</summary>
    public string? PathAdd { get; set; }

    /// <summary>As the <c>ingress.compress</c> label.</summary>
    public string? Compress { get; set; }

    /// <summary>As the <c>ingress.request.headers.*</c> labels: <c>RequestHeaders:Set:&lt;Name&gt;</c>, <c>RequestHeaders:Add:&lt;Name&gt;</c>, <c>RequestHeaders:Remove</c>.</summary>
    public DnsHeaderOptions RequestHeaders { get; set; } = new();

    /// <summary>As the <c>ingress.response.headers.*</c> labels: <c>ResponseHeaders:Set:&lt;Name&gt;</c>, <c>ResponseHeaders:Add:&lt;Name&gt;</c>, <c>ResponseHeaders:Remove</c>.</summary>
    public DnsHeaderOptions ResponseHeaders { get; set; } = new();

    /// <summary>
    /// Any other <c>ingress.*</c> label, under its own key: <c>Labels:ingress.sticky=true</c>,
    /// <c>Labels:ingress.auth.basic.usersfile=/run/secrets/users</c>, <c>Labels:ingress.ratelimit.average=100</c>. For the
    /// labels that have no option of their own above; a key given both ways is refused at start-up.
    /// </summary>
    public Dictionary<string, string> Labels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The labels this entry stands for, so DNS services are validated and routed exactly like labelled ones.</summary>
    public IReadOnlyDictionary<string, string> ToLabels() => ToLabels(out _);

    /// <summary><see cref="ToLabels()"/>, with the keys of <see cref="Labels"/> that an option of their own also sets.</summary>
    public IReadOnlyDictionary<string, string> ToLabels(out IReadOnlyList<string> givenTwice)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Add(IngressLabels.Publish, Publish);
        Add(IngressLabels.Host, Host);
        Add(IngressLabels.Path, Path);
        Add(IngressLabels.Port, Port?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add(IngressLabels.LoadBalancing, LoadBalancing);
        Add(IngressLabels.Scheme, Scheme);
        Add(IngressLabels.TlsAcme, Acme);
        Add(IngressLabels.RedirectScheme, Redirect.Scheme);
        Add(IngressLabels.RedirectHost, Redirect.Host);
        Add(IngressLabels.RedirectPort, Redirect.Port);
        Add(IngressLabels.RedirectPermanent, Redirect.Permanent);
        Add(IngressLabels.HstsMaxAge, Hsts.MaxAge);
        Add(IngressLabels.HstsIncludeSubdomains, Hsts.IncludeSubdomains);
        Add(IngressLabels.HstsPreload, Hsts.Preload);
        Add(IngressLabels.PathStrip, PathStrip);
        Add(IngressLabels.PathAdd, PathAdd);
        Add(IngressLabels.Compress, Compress);
        AddHeaders(RequestHeaders, IngressLabels.RequestHeadersSetPrefix, IngressLabels.RequestHeadersAddPrefix, IngressLabels.RequestHeadersRemove);
        AddHeaders(ResponseHeaders, IngressLabels.ResponseHeadersSetPrefix, IngressLabels.ResponseHeadersAddPrefix, IngressLabels.ResponseHeadersRemove);
        var twice = new List<string>();
        foreach (var (key, value) in Labels)
        {
            if (!labels.TryAdd(key, value))
            {
                twice.Add(key);
            }
        }

        givenTwice = twice;
        return labels;

        void AddHeaders(DnsHeaderOptions headers, string setPrefix, string addPrefix, string removeKey)
        {
            foreach (var (name, value) in headers.Set)
            {
                // Not through Add: an empty value is kept, so that the label's validation reports it.
                labels[setPrefix + name] = value;
            }

            foreach (var (name, value) in headers.Add)
            {
                labels[addPrefix + name] = value;
            }

            Add(removeKey, headers.Remove);
        }

        void Add(string key, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                labels[key] = value;
            }
        }
    }
}

/// <summary>A DNS service's redirect, as its <c>ingress.redirect.*</c> labels (text, validated as the labels are).</summary>
public sealed class DnsRedirectOptions
{
    /// <summary>As <c>ingress.redirect.scheme</c>.</summary>
    public string? Scheme { get; set; }

    /// <summary>As <c>ingress.redirect.host</c>.</summary>
    public string? Host { get; set; }

    /// <summary>As <c>ingress.redirect.port</c>.</summary>
    public string? Port { get; set; }

    /// <summary>As <c>ingress.redirect.permanent</c>.</summary>
    public string? Permanent { get; set; }
}

/// <summary>A DNS service's header changes in one direction, as its <c>ingress.request.headers.*</c> or <c>ingress.response.headers.*</c> labels.</summary>
public sealed class DnsHeaderOptions
{
    /// <summary>Header name to value: as <c>ingress.*.headers.set.&lt;Name&gt;</c>.</summary>
    public Dictionary<string, string> Set { get; set; } = [];

    /// <summary>Header name to value: as <c>ingress.*.headers.add.&lt;Name&gt;</c>.</summary>
    public Dictionary<string, string> Add { get; set; } = [];

    /// <summary>As <c>ingress.*.headers.remove</c>: names, comma-separated.</summary>
    public string? Remove { get; set; }
}

/// <summary>A DNS service's HSTS header, as its <c>ingress.hsts.*</c> labels (text, validated as the labels are).</summary>
public sealed class DnsHstsOptions
{
    /// <summary>As <c>ingress.hsts.maxage</c>.</summary>
    public string? MaxAge { get; set; }

    /// <summary>As <c>ingress.hsts.includesubdomains</c>.</summary>
    public string? IncludeSubdomains { get; set; }

    /// <summary>As <c>ingress.hsts.preload</c>.</summary>
    public string? Preload { get; set; }
}
