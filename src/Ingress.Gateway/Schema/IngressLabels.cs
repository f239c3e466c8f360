namespace Ingress.Gateway.Schema;

/// <summary>The <c>ingress.*</c> label schema read from a service's <c>deploy.labels</c>.</summary>
public static class IngressLabels
{
    /// <summary>Every label of the schema starts with this prefix.</summary>
    public const string Prefix = "ingress.";

    /// <summary><c>false</c> switches a labelled service off.</summary>
    public const string Enable = "ingress.enable";

    /// <summary><c>published:target</c>[,...]: the routing-mesh equivalent of <c>--publish</c>.</summary>
    public const string Publish = "ingress.publish";

    /// <summary>Host names (comma list, <c>*.example.com</c> wildcards) matched on the default entry port.</summary>
    public const string Host = "ingress.host";

    /// <summary>A path prefix matched on the default entry port.</summary>
    public const string Path = "ingress.path";

    /// <summary>The target port of the tasks for host and path rules.</summary>
    public const string Port = "ingress.port";

    /// <summary>The load-balancing policy: <c>round_robin</c> (default), <c>least_requests</c>, <c>power_of_two</c>, <c>random</c>.</summary>
    public const string LoadBalancing = "ingress.lb";

    /// <summary>The network whose task addresses are used, when tasks sit on several networks shared with the gateway.</summary>
    public const string Network = "ingress.network";

    /// <summary>An HTTP path probed on every task; a non-2xx answer twice in a row takes the task out of rotation.</summary>
    public const string HealthCheckPath = "ingress.healthcheck.path";

    /// <summary>How often the health check path is probed, e.g. <c>5s</c> (default 5 s).</summary>
    public const string HealthCheckInterval = "ingress.healthcheck.interval";

    /// <summary>How long a probe may take, e.g. <c>2s</c> (default 2 s).</summary>
    public const string HealthCheckTimeout = "ingress.healthcheck.timeout";

    /// <summary>How long a replica may stay silent on a request, e.g. <c>30s</c>, before the gateway answers 504 (default 60 s).</summary>
    public const string Timeout = "ingress.timeout";

    /// <summary>
    /// How the gateway speaks to the tasks: <c>http</c> (HTTP/1.1, the default) or <c>h2c</c> (HTTP/2 over cleartext, as
    /// gRPC servers expect). Traefik's <c>loadbalancer.server.scheme</c>.
    /// </summary>
    public const string Scheme = "ingress.scheme";

    /// <summary>
    /// <c>true</c> to have the gateway obtain (and renew) a certificate for the service's <see cref="Host"/> names from
    /// the configured ACME certificate authority (<c>Ingress:Acme</c>), validated by HTTP-01. Traefik's
    /// <c>tls.certresolver</c>.
    /// </summary>
    public const string TlsAcme = "ingress.tls.acme";

    /// <summary>
    /// <c>https</c> or <c>http</c>: requests arriving over the other scheme get a redirect to this one (<c>308</c>), with
    /// the same host, path and query. Traefik's <c>redirectScheme.scheme</c>.
    /// </summary>
    public const string RedirectScheme = "ingress.redirect.scheme";

    /// <summary>A host name: requests for any other host get a redirect to this one (www to apex). Traefik's <c>redirectRegex</c> on the host.</summary>
    public const string RedirectHost = "ingress.redirect.host";

    /// <summary>The port written in a redirect's <c>Location</c> (left out when it is the scheme's default). Traefik's <c>redirectScheme.port</c>.</summary>
    public const string RedirectPort = "ingress.redirect.port";

    /// <summary><c>true</c> (default): <c>308 Permanent Redirect</c>; <c>false</c>: <c>307 Temporary Redirect</c>. Traefik's <c>permanent</c>.</summary>
    public const string RedirectPermanent = "ingress.redirect.permanent";

    /// <summary>Seconds: responses sent over TLS carry <c>Strict-Transport-Security: max-age=...</c>. Traefik's <c>headers.stsSeconds</c>.</summary>
    public const string HstsMaxAge = "ingress.hsts.maxage";

    /// <summary><c>true</c> adds <c>includeSubDomains</c> to the HSTS header. Traefik's <c>headers.stsIncludeSubdomains</c>.</summary>
    public const string HstsIncludeSubdomains = "ingress.hsts.includesubdomains";

    /// <summary><c>true</c> adds <c>preload</c> to the HSTS header. Traefik's <c>headers.stsPreload</c>.</summary>
    public const string HstsPreload = "ingress.hsts.preload";

    /// <summary>True for labels in the <c>ingress.</c> namespace.</summary>
    public static bool IsIngressLabel(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    internal static readonly string[] Known = [Enable, Publish, Host, Path, Port, LoadBalancing, Network, HealthCheckPath, HealthCheckInterval, HealthCheckTimeout, Timeout, Scheme,
        RedirectScheme, RedirectHost, RedirectPort, RedirectPermanent, HstsMaxAge, HstsIncludeSubdomains, HstsPreload, TlsAcme];
}
