namespace Ingress.Gateway.Acme;

/// <summary>Settings of the ACME (RFC 8555) client (<c>Ingress:Acme</c>): which certificate authority, and how patiently to talk to it.</summary>
/// <remarks>
/// Defaults: no directory (the client is not used until one is set); the operating system's trust store for the
/// directory's TLS; polls every 1 s unless the server's <c>Retry-After</c> says otherwise (at most 30 s between polls,
/// at most 2 min in all per wait); each request times out after 30 s; a <c>badNonce</c> rejection is retried up to 3
/// times, each with the fresh nonce the rejection carried. Issued certificates and the account key are kept in
/// <c>/var/lib/ingress/acme</c>; the services' wishes are looked at every 10 s; a failed order is tried again after 1 min,
/// then twice as long each time, at most every 1 h.
/// </remarks>
public sealed class AcmeOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Acme";

    /// <summary>The certificate authority's directory URL (HTTPS), e.g. <c>https://acme-v02.api.letsencrypt.org/directory</c>.</summary>
    public string? DirectoryUrl { get; set; }

    /// <summary>ACME is on once a directory is set: services may then ask for certificates by label.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(DirectoryUrl);

    /// <summary>
    /// The folder where the account key and the issued certificates are kept (a volume, so that they survive a restart):
    /// <c>account.key</c> and <c>certificates/*.pem</c>, each readable by the gateway's user alone.
    /// </summary>
    public string StoragePath { get; set; } = "/var/lib/ingress/acme";

    /// <summary>How often the services' certificate wishes and the certificates' renewal times are looked at. Default 10 s.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the first retry of a failed order; each further failure doubles it. Default 1 min.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest wait between two attempts at a failing order. Default 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A PEM file of root certificates that the directory's TLS certificate must chain to, instead of the operating
    /// system's trust store (a test CA such as pebble's). Empty for the system's trust store.
    /// </summary>
    public string? TrustedRootFile { get; set; }

    /// <summary>Contact URLs of the account (<c>mailto:ops@example.com</c>); optional.</summary>
    public List<string> Contacts { get; set; } = [];

    /// <summary>Agrees to the certificate authority's terms of service; must be true, as RFC 8555 requires it for a new account.</summary>
    public bool AcceptTermsOfService { get; set; }

    /// <summary>The delay between two polls of an authorization or order when the server sends no <c>Retry-After</c>. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two polls, whatever <c>Retry-After</c> asks for. Default 30 s.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait for an authorization or an order to reach a final state. Default 2 min.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The time limit of one HTTP request to the certificate authority. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a request rejected with <c>badNonce</c> is sent again with the rejection's fresh nonce. Default 3.</summary>
    public int BadNonceRetries { get; set; } = 3;
}
