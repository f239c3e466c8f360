using Ingress.Gateway.Configuration;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Tls;

/// <summary>
/// The certificates the TLS entry ports serve: the current <see cref="CertificateIndex"/> of the certificate folder,
/// replaced as a whole when the folder changes. A handshake reads it once, without a lock; open connections keep the
/// certificate they were made with.
/// </summary>
internal sealed partial class CertificateStore
{
    private readonly TlsOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<CertificateStore> _logger;
    private readonly ManagedCertificateFolder? _managed;
    private readonly Lock _reloading = new();
    private CertificateIndex _current = CertificateIndex.Empty;

    /// <summary>Creates the store and loads the folder, so that the first handshake (Kestrel creates the store as it starts) has its certificates.</summary>
    /// <param name="managed">The folder of issued certificates, when the gateway issues any (ACME).</param>
    public CertificateStore(IOptions<TlsOptions> options, GatewayMetrics metrics, TimeProvider time, ILogger<CertificateStore> logger, ManagedCertificateFolder? managed = null)
    {
        _options = options.Value;
        _managed = managed;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        try
        {
            ReloadIfChanged();
        }
        catch (DirectoryNotFoundException)
        {
            // Checked at start-up (TlsOptionsValidator); the reloader reports it if it disappears afterwards.
        }
    }

    /// <summary>The certificates served now.</summary>
    public CertificateIndex Current => Volatile.Read(ref _current);

    /// <summary>The folder the certificates are read from.</summary>
    public string Folder => _options.CertificatesPath;

    /// <summary>The folder of issued certificates, served beside <see cref="Folder"/>; null when none are issued.</summary>
    public ManagedCertificateFolder? Managed => _managed;

    /// <summary>
    /// Loads the folder again when a file changed or a served certificate expired since the last load; logs each file
    /// in error once per change. Never throws for a bad file: the others are served.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder is gone; the certificates loaded before stay served.</exception>
    /// <returns>True when the certificates were loaded again.</returns>
    public bool ReloadIfChanged()
    {
        lock (_reloading)
        {
            if (!Directory.Exists(Folder))
            {
                throw new DirectoryNotFoundException($"The certificate folder {Folder} does not exist.");
            }

            var now = _time.GetUtcNow();
            var current = Current;
            if (current != CertificateIndex.Empty && now < current.NextExpiry
                && string.Equals(current.Fingerprint, CertificateFolder.Fingerprint(Folder, _managed), StringComparison.Ordinal))
            {
                return false;
            }

            var next = CertificateFolder.Load(Folder, _options.DefaultCertificate, now, _managed);
            Volatile.Write(ref _current, next);
            _metrics.TlsReloads.Inc();
            _metrics.TlsCertificates.Set(next.Certificates.Count);
            _metrics.TlsCertificateErrors.Set(next.Errors.Count);
            foreach (var certificate in next.Certificates)
            {
                LogLoaded(certificate.File, string.Join(", ", certificate.Names), certificate.NotAfter);
            }

            foreach (var error in next.Errors)
            {
                LogNotServed(error.File, Folder, error.Reason);
            }

            if (next.Default is null)
            {
                LogNoCertificate(Folder);
            }

            return true;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "TLS certificate {File} loaded for {Names}, valid until {NotAfter:u}.")]
    private partial void LogLoaded(string file, string names, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "TLS certificate file {File} in {Folder} is not served: it {Reason} The other certificates are served.")]
    private partial void LogNotServed(string file, string folder, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No valid TLS certificate in {Folder}: TLS handshakes on the TLS entry ports fail until one is added.")]
    private partial void LogNoCertificate(string folder);
}
