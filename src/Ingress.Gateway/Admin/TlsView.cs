using Ingress.Gateway.Configuration;
using Ingress.Gateway.Tls;

namespace Ingress.Gateway.Admin;

/// <summary>
/// The TLS entry ports and their certificates as shown on <c>/api/state</c>: names, validity, thumbprints and the files
/// in error. Built field by field from the public parts of a certificate, so no key material can ever be serialised.
/// </summary>
internal sealed record TlsView(
    IReadOnlyList<TlsPortView> Ports,
    string Folder,
    DateTimeOffset Loaded,
    string? DefaultCertificate,
    IReadOnlyList<CertificateView> Certificates,
    IReadOnlyList<CertificateErrorView> Errors)
{
    public static TlsView From(TlsOptions options, CertificateStore store)
    {
        var index = store.Current;
        return new TlsView(
            [.. options.Ports.Select(p => new TlsPortView(p.Port, p.Routes))],
            store.Folder,
            index.Loaded,
            index.Default?.File,
            [.. index.Certificates.Select(c => new CertificateView(c.File, c.Names, c.Subject, c.Issuer, c.NotBefore, c.NotAfter, c.Thumbprint))],
            [.. index.Errors.Select(e => new CertificateErrorView(e.File, e.Reason))]);
    }
}

/// <summary>A TLS entry port and the plain entry port whose routes it serves.</summary>
internal sealed record TlsPortView(int Port, int Routes);

/// <summary>A certificate served on the TLS entry ports.</summary>
internal sealed record CertificateView(
    string File, IReadOnlyList<string> Names, string Subject, string Issuer, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Thumbprint);

/// <summary>A file of the certificate folder that is not served, and why.</summary>
internal sealed record CertificateErrorView(string File, string Reason);
