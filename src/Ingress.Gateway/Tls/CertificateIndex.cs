using System.Collections.Frozen;

namespace Ingress.Gateway.Tls;

/// <summary>
/// The certificates served, by host name: an immutable snapshot built from one scan of the certificate folder and
/// replaced as a whole when the folder changes, so a handshake always sees one consistent set.
/// </summary>
/// <remarks>
/// An exact name beats a wildcard; <c>*.example.com</c> matches one label only (<c>a.example.com</c>, not
/// <c>example.com</c> nor <c>a.b.example.com</c>), as RFC 6125 and browsers have it. Among several certificates for one
/// name, the one that expires last wins. A client that sends no name, or a name no certificate has, gets
/// <see cref="Default"/>, as nginx's default server and HAProxy's first certificate do.
/// </remarks>
internal sealed class CertificateIndex
{
    private readonly FrozenDictionary<string, ServerCertificate> _exact;
    private readonly FrozenDictionary<string, ServerCertificate> _wildcard;

    public CertificateIndex(
        IReadOnlyList<ServerCertificate> certificates, IReadOnlyList<CertificateError> errors, ServerCertificate? defaultCertificate, string fingerprint, DateTimeOffset loaded)
    {
        Certificates = certificates;
        Errors = errors;
        Default = defaultCertificate;
        Fingerprint = fingerprint;
        Loaded = loaded;
        var exact = new Dictionary<string, ServerCertificate>(StringComparer.OrdinalIgnoreCase);
        var wildcard = new Dictionary<string, ServerCertificate>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates)
        {
            foreach (var name in certificate.Names)
            {
                var (map, key) = name.StartsWith("*.", StringComparison.Ordinal) ? (wildcard, name[2..]) : (exact, name);
                if (!map.TryGetValue(key, out var other) || certificate.NotAfter > other.NotAfter)
                {
                    map[key] = certificate;
                }
            }
        }

        _exact = exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _wildcard = wildcard.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        NextExpiry = certificates.Count == 0 ? DateTimeOffset.MaxValue : certificates.Min(c => c.NotAfter);
    }

    /// <summary>No certificates: what is served before the first scan.</summary>
    public static CertificateIndex Empty { get; } = new([], [], null, "", DateTimeOffset.MinValue);

    /// <summary>Every certificate served, by file name.</summary>
    public IReadOnlyList<ServerCertificate> Certificates { get; }

    /// <summary>Every file that looked like a certificate but is not served, with the reason.</summary>
    public IReadOnlyList<CertificateError> Errors { get; }

    /// <summary>The certificate for clients that send no name or an unknown one; null when there is none at all.</summary>
    public ServerCertificate? Default { get; }

    /// <summary>The files' names, sizes and modification times at the scan: a different value means the folder changed.</summary>
    public string Fingerprint { get; }

    /// <summary>When the folder was scanned.</summary>
    public DateTimeOffset Loaded { get; }

    /// <summary>When the first served certificate expires; the folder is scanned again then, so that it is no longer served.</summary>
    public DateTimeOffset NextExpiry { get; }

    /// <summary>The certificate for the SNI <paramref name="serverName"/> (null or empty: none sent).</summary>
    public ServerCertificate? Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return Default;
        }

        // A fully qualified name may end with the root's dot.
        var name = serverName.EndsWith('.') ? serverName[..^1] : serverName;
        if (_exact.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && _wildcard.Count > 0 && _wildcard.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name.AsSpan(dot + 1), out var wildcard))
        {
            return wildcard;
        }

        return Default;
    }
}
