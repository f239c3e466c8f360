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

    /// <summary><c>true</c>: the route's <see cref="Path"/> prefix is removed from the path before forwarding, and sent as <c>X-Forwarded-Prefix</c>. Traefik's <c>stripPrefix</c>.</summary>
    public const string PathStrip = "ingress.path.strip";

    /// <summary>A path prefix (<c>/api</c>) put in front of the path before forwarding, after <see cref="PathStrip"/>. Traefik's <c>addPrefix</c>.</summary>
    public const string PathAdd = "ingress.path.add";

    /// <summary><c>true</c>: text responses (text/*, JSON, JavaScript, XML, SVG) of 1 KiB or more, or of unknown length, are compressed with brotli or gzip, as the client accepts. Traefik's <c>compress</c>.</summary>
    public const string Compress = "ingress.compress";

    /// <summary>Prefix of <c>ingress.request.headers.set.&lt;Name&gt;=&lt;value&gt;</c>: the request reaches the replica with this header, replacing the client's. Traefik's <c>headers.customRequestHeaders</c>.</summary>
    public const string RequestHeadersSetPrefix = "ingress.request.headers.set.";

    /// <summary>Prefix of <c>ingress.request.headers.add.&lt;Name&gt;=&lt;value&gt;</c>: the value is appended to the client's values of the header.</summary>
    public const string RequestHeadersAddPrefix = "ingress.request.headers.add.";

    /// <summary>Header names (comma list) removed from requests before they reach the replica.</summary>
    public const string RequestHeadersRemove = "ingress.request.headers.remove";

    /// <summary>Prefix of <c>ingress.response.headers.set.&lt;Name&gt;=&lt;value&gt;</c>: responses reach the client with this header, replacing the replica's. Traefik's <c>headers.customResponseHeaders</c>.</summary>
    public const string ResponseHeadersSetPrefix = "ingress.response.headers.set.";

    /// <summary>Prefix of <c>ingress.response.headers.add.&lt;Name&gt;=&lt;value&gt;</c>: the value is appended to the replica's values of the header.</summary>
    public const string ResponseHeadersAddPrefix = "ingress.response.headers.add.";

    /// <summary>Header names (comma list) removed from responses before they reach the client.</summary>
    public const string ResponseHeadersRemove = "ingress.response.headers.remove";

    // Access policies (issue 15, 2a): basic auth and forward auth. See AccessPolicy and AccessLabelParser.

    /// <summary>Absolute path of an htpasswd file of bcrypt hashes (a swarm secret): requests need basic auth with one of its users. Traefik's <c>basicAuth.usersFile</c>.</summary>
    public const string AuthBasicUsersFile = "ingress.auth.basic.usersfile";

    /// <summary>The realm of the <c>WWW-Authenticate: Basic</c> challenge (default <c>ingress</c>). Traefik's <c>basicAuth.realm</c>.</summary>
    public const string AuthBasicRealm = "ingress.auth.basic.realm";

    /// <summary><c>true</c>: the <c>Authorization</c> header is removed before forwarding (default <c>false</c>). Traefik's <c>basicAuth.removeHeader</c>.</summary>
    public const string AuthBasicRemoveHeader = "ingress.auth.basic.removeheader";

    /// <summary>A request header set to the authenticated user name before forwarding. Traefik's <c>basicAuth.headerField</c>.</summary>
    public const string AuthBasicHeaderField = "ingress.auth.basic.headerfield";

    /// <summary>The URL of an auth service asked before forwarding: 2xx passes, anything else is the answer. Traefik's <c>forwardAuth.address</c>.</summary>
    public const string AuthForwardAddress = "ingress.auth.forward.address";

    /// <summary>Header names (comma list) copied from the auth service's 2xx answer onto the request. Traefik's <c>forwardAuth.authResponseHeaders</c>.</summary>
    public const string AuthForwardResponseHeaders = "ingress.auth.forward.responseheaders";

    /// <summary>Header names (comma list): the only request headers sent to the auth service (default: all). Traefik's <c>forwardAuth.authRequestHeaders</c>.</summary>
    public const string AuthForwardRequestHeaders = "ingress.auth.forward.requestheaders";

    /// <summary><c>true</c>: a client's <c>X-Forwarded-*</c> headers reach the auth service (default <c>false</c>). Traefik's <c>forwardAuth.trustForwardHeader</c>.</summary>
    public const string AuthForwardTrustForwardHeader = "ingress.auth.forward.trustforwardheader";

    /// <summary>How long the auth service may take to answer, e.g. <c>2s</c> (default 5 s); then the gateway answers 504.</summary>
    public const string AuthForwardTimeout = "ingress.auth.forward.timeout";

    // Sticky sessions (issue 15, point 4): YARP's HashCookie session affinity on the service's clusters.

    /// <summary><c>true</c>: a client keeps going to the replica that served it, by cookie. Traefik's <c>loadbalancer.sticky.cookie</c>.</summary>
    public const string Sticky = "ingress.sticky";

    /// <summary>The sticky cookie's name (default <c>ingress_sticky</c>). Traefik's <c>sticky.cookie.name</c>.</summary>
    public const string StickyCookie = "ingress.sticky.cookie";

    /// <summary><c>true</c>: the sticky cookie is <c>Secure</c>; <c>false</c>: never; unset: when the request came over TLS. Traefik's <c>sticky.cookie.secure</c>.</summary>
    public const string StickySecure = "ingress.sticky.secure";

    /// <summary><c>true</c> (default): the sticky cookie is <c>HttpOnly</c>. Traefik's <c>sticky.cookie.httpOnly</c>.</summary>
    public const string StickyHttpOnly = "ingress.sticky.httponly";

    /// <summary><c>none</c>, <c>lax</c> (default) or <c>strict</c>: the sticky cookie's <c>SameSite</c>. Traefik's <c>sticky.cookie.sameSite</c>.</summary>
    public const string StickySameSite = "ingress.sticky.samesite";

    // Weighted canaries (issue 15, point 5): services sharing one rule split its requests by weight.

    /// <summary>
    /// 0-1000: services that declare the same rule and all carry a weight share the route, each getting its weight's share of
    /// the requests (0: none, a dark launch). Traefik's weighted round robin service (<c>services.weighted.services[].weight</c>).
    /// </summary>
    public const string Weight = "ingress.weight";

    // --- Client policies: who may use a route and how much (ClientPolicies, ClientPolicyParser). ---

    /// <summary>Client addresses and CIDR ranges (comma list, IPv4 and IPv6) allowed to use the service; others get 403. Traefik's <c>ipAllowList.sourceRange</c>.</summary>
    public const string IpAllowList = "ingress.ipallowlist";

    /// <summary>Requests per <see cref="RateLimitPeriod"/> a client (by address) may make on average; more get 429. Traefik's <c>rateLimit.average</c>.</summary>
    public const string RateLimitAverage = "ingress.ratelimit.average";

    /// <summary>The period of <see cref="RateLimitAverage"/> (default 1s). Traefik's <c>rateLimit.period</c>.</summary>
    public const string RateLimitPeriod = "ingress.ratelimit.period";

    /// <summary>Requests a quiet client may make at once (the token bucket's size). Traefik's <c>rateLimit.burst</c>.</summary>
    public const string RateLimitBurst = "ingress.ratelimit.burst";

    /// <summary>Origins (comma list, <c>https://*.example.com</c> wildcards) or <c>*</c> allowed cross-origin requests. Traefik's <c>headers.accessControlAllowOriginList</c>.</summary>
    public const string CorsOrigins = "ingress.cors.origins";

    /// <summary>Methods (comma list, or <c>*</c>) a preflight may ask for. Traefik's <c>headers.accessControlAllowMethods</c>.</summary>
    public const string CorsMethods = "ingress.cors.methods";

    /// <summary>Request headers (comma list, or <c>*</c>) a preflight may ask for. Traefik's <c>headers.accessControlAllowHeaders</c>.</summary>
    public const string CorsHeaders = "ingress.cors.headers";

    /// <summary>Response headers (comma list) scripts may read. Traefik's <c>headers.accessControlExposeHeaders</c>.</summary>
    public const string CorsExposeHeaders = "ingress.cors.exposeheaders";

    /// <summary><c>true</c>: browsers may send credentials (not with origin <c>*</c>). Traefik's <c>headers.accessControlAllowCredentials</c>.</summary>
    public const string CorsCredentials = "ingress.cors.credentials";

    /// <summary>Seconds browsers may cache a preflight answer. Traefik's <c>headers.accessControlMaxAge</c>.</summary>
    public const string CorsMaxAge = "ingress.cors.maxage";

    // --- End of client policies. ---

    /// <summary>True for labels in the <c>ingress.</c> namespace.</summary>
    public static bool IsIngressLabel(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    internal static readonly string[] Known = [Enable, Publish, Host, Path, Port, LoadBalancing, Network, HealthCheckPath, HealthCheckInterval, HealthCheckTimeout, Timeout, Scheme,
        RedirectScheme, RedirectHost, RedirectPort, RedirectPermanent, HstsMaxAge, HstsIncludeSubdomains, HstsPreload, TlsAcme,
        PathStrip, PathAdd, Compress, RequestHeadersRemove, ResponseHeadersRemove,
        AuthBasicUsersFile, AuthBasicRealm, AuthBasicRemoveHeader, AuthBasicHeaderField,
        AuthForwardAddress, AuthForwardResponseHeaders, AuthForwardRequestHeaders, AuthForwardTrustForwardHeader, AuthForwardTimeout,
        Sticky, StickyCookie, StickySecure, StickyHttpOnly, StickySameSite,
        Weight,

        // Client policies:
        IpAllowList, RateLimitAverage, RateLimitPeriod, RateLimitBurst, CorsOrigins, CorsMethods, CorsHeaders, CorsExposeHeaders, CorsCredentials, CorsMaxAge];

    /// <summary>The label prefixes whose last part is a header name (<c>ingress.request.headers.set.X-Env</c>).</summary>
    internal static readonly string[] KnownPrefixes = [RequestHeadersSetPrefix, RequestHeadersAddPrefix, ResponseHeadersSetPrefix, ResponseHeadersAddPrefix];

    /// <summary>True for a label of the schema: one of <see cref="Known"/>, or one of <see cref="KnownPrefixes"/> followed by a name.</summary>
    internal static bool IsKnown(string key)
    {
        if (Array.IndexOf(Known, key) >= 0)
        {
            return true;
        }

        foreach (var prefix in KnownPrefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
