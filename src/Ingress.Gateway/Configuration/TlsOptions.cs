namespace Ingress.Gateway.Configuration;

/// <summary>TLS entry ports and where their certificates come from, bound from the <c>Ingress:Tls</c> section.</summary>
/// <remarks>
/// Defaults: no TLS port (TLS is off); certificates from <c>/run/secrets</c>, where swarm mounts a service's secrets;
/// the folder looked at every 10 seconds; no configured default certificate (the first valid one by file name).
/// </remarks>
public sealed class TlsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Tls";

    /// <summary>The TLS entry ports, each serving the routes of one plain entry port.</summary>
    /// <remarks>Default: none. <c>Ingress:Tls:Ports:0:Port=443</c>, <c>Ingress:Tls:Ports:0:Routes=8888</c>.</remarks>
    public List<TlsPortOptions> Ports { get; set; } = [];

    /// <summary>The folder scanned for PEM certificates and keys.</summary>
    /// <remarks>Default: <c>/run/secrets</c>. Only the files directly in it are read, not sub-folders.</remarks>
    public string CertificatesPath { get; set; } = "/run/secrets";

    /// <summary>The file name (in <see cref="CertificatesPath"/>) of the certificate for clients that send no known name.</summary>
    /// <remarks>Default: none; then the first valid certificate by file name (ordinal order), as HAProxy does with a folder.</remarks>
    public string? DefaultCertificate { get; set; }

    /// <summary>How often the folder is checked for changed files and for certificates that expired.</summary>
    /// <remarks>Default: 10 seconds.</remarks>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether returning clients may resume an earlier TLS session (TLS 1.3 tickets; TLS 1.2 session IDs and tickets).</summary>
    /// <remarks>
    /// Default: true, as nginx and HAProxy have it. Applies where the relay terminates TLS (<c>Ingress:Transport:Relay</c>
    /// on); with the relay off, Kestrel's SslStream resumes no session whatever this says.
    /// </remarks>
    public bool SessionResumption { get; set; } = true;

    /// <summary>TLS is on when at least one TLS port is configured.</summary>
    public bool Enabled => Ports.Count > 0;

    /// <summary>The plain entry port whose routes <paramref name="port"/> serves, or <paramref name="port"/> itself when it is no TLS port.</summary>
    public int RoutesFor(int port)
    {
        foreach (var tls in Ports)
        {
            if (tls.Port == port)
            {
                return tls.Routes;
            }
        }

        return port;
    }

    /// <summary>Fills in <see cref="TlsPortOptions.Routes"/> left at 0 with <paramref name="defaultEntryPort"/>.</summary>
    internal void ApplyDefaults(int defaultEntryPort)
    {
        foreach (var tls in Ports)
        {
            if (tls.Routes == 0)
            {
                tls.Routes = defaultEntryPort;
            }
        }
    }
}

/// <summary>One TLS entry port.</summary>
public sealed class TlsPortOptions
{
    /// <summary>The TCP port the gateway listens on with TLS.</summary>
    public int Port { get; set; }

    /// <summary>The plain entry port whose routes this port serves.</summary>
    /// <remarks>Default: 0, the default entry port (the first of <c>Ingress:EntryPorts</c>); filled in after binding.</remarks>
    public int Routes { get; set; }
}
