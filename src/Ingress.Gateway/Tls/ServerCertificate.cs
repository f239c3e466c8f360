using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Gateway.Tls;

/// <summary>A certificate loaded from the certificate folder with its private key, ready for TLS handshakes.</summary>
/// <remarks>Holds the key only inside <see cref="Context"/>; nothing here that is shown or logged contains it.</remarks>
internal sealed record ServerCertificate(
    string File,
    IReadOnlyList<string> Names,
    string Subject,
    string Issuer,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Thumbprint,
    SslStreamCertificateContext Context);

/// <summary>A file of the certificate folder that is not served, and why.</summary>
internal sealed record CertificateError(string File, string Reason);

/// <summary>
/// A second certificate folder that the gateway itself fills (issued certificates), served beside the configured one.
/// Its files are shown as <c>Label/file</c>.
/// </summary>
internal sealed record ManagedCertificateFolder(string Path, string Label);
