using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ingress.Gateway.Tls;

/// <summary>
/// Reads the certificate folder (swarm secrets or a mounted folder) into a <see cref="CertificateIndex"/>. A file is a
/// certificate when it holds a PEM <c>CERTIFICATE</c> (or is named <c>*.crt</c>, <c>*.pem</c> or <c>*.cer</c>); its key
/// is in the same file or in the file of the same base name ending <c>.key</c>. Other files (other secrets) are left alone.
/// </summary>
/// <remarks>
/// Each file is loaded on its own: a bad one becomes a <see cref="CertificateError"/> naming the file and the reason,
/// and every other file is still served. Reasons never quote the file's content, so no key can reach a log.
/// </remarks>
internal static class CertificateFolder
{
    /// <summary>Larger files are no certificates (a chain of ten is ~20 KB); not read at all.</summary>
    private const long MaxFileSize = 1 << 20;

    private const string CertificateLabel = "-----BEGIN CERTIFICATE-----";
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string SubjectAlternativeName = "2.5.29.17";
    private const string EnhancedKeyUsage = "2.5.29.37";

    private static readonly string[] CertificateExtensions = [".crt", ".pem", ".cer"];

    /// <summary>
    /// The names, sizes and modification times of the folder's files (and of <paramref name="managed"/>'s): changes when
    /// any file is added, removed or rewritten.
    /// </summary>
    public static string Fingerprint(string folder, ManagedCertificateFolder? managed = null)
    {
        var text = new StringBuilder();
        Append(folder);
        if (managed is not null)
        {
            text.Append("# ").Append(managed.Label).Append('\n');
            Append(managed.Path);
        }

        return text.ToString();

        void Append(string path)
        {
            foreach (var file in Files(path))
            {
                text.Append(file.Name).Append('|').Append(file.Length).Append('|')
                    .Append(file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
    }

    /// <summary>
    /// Loads every certificate of <paramref name="folder"/>, then of <paramref name="managed"/> (its files named
    /// <c>label/file</c>; a missing managed folder has none), valid at <paramref name="now"/>.
    /// </summary>
    public static CertificateIndex Load(string folder, string? defaultFile, DateTimeOffset now, ManagedCertificateFolder? managed = null)
    {
        var fingerprint = Fingerprint(folder, managed);
        var certificates = new List<ServerCertificate>();
        var errors = new List<CertificateError>();
        Scan(folder, "");
        if (managed is not null)
        {
            Scan(managed.Path, managed.Label + "/");
        }

        void Scan(string path, string prefix)
        {
            foreach (var file in Files(path))
            {
                try
                {
                    if (TryLoad(file, prefix + file.Name, now, out var reason) is { } certificate)
                    {
                        certificates.Add(certificate);
                    }
                    else if (reason is not null)
                    {
                        errors.Add(new CertificateError(prefix + file.Name, reason));
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    errors.Add(new CertificateError(prefix + file.Name, "cannot be read: " + ex.Message));
                }
            }
        }

        var defaultCertificate = certificates.FirstOrDefault();
        if (defaultFile is not null)
        {
            var configured = certificates.FirstOrDefault(c => string.Equals(c.File, defaultFile, StringComparison.Ordinal));
            if (configured is null)
            {
                errors.Add(new CertificateError(defaultFile,
                    $"is the configured default certificate (Ingress:Tls:DefaultCertificate) but is not served; the default is {defaultCertificate?.File ?? "none"} until it is."));
            }

            defaultCertificate = configured ?? defaultCertificate;
        }

        return new CertificateIndex(certificates, errors, defaultCertificate, fingerprint, now);
    }

    private static List<FileInfo> Files(string folder)
    {
        var directory = new DirectoryInfo(folder);
        if (!directory.Exists)
        {
            return [];
        }

        // Hidden files (editors' swap files, the ..data links of a Kubernetes-style mount) are not certificates.
        var files = directory.EnumerateFiles().Where(f => !f.Name.StartsWith('.')).ToList();
        files.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return files;
    }

    /// <summary>The certificate in <paramref name="file"/>; null with a reason when it is bad, null without one when it is no certificate.</summary>
    private static ServerCertificate? TryLoad(FileInfo file, string name, DateTimeOffset now, out string? reason)
    {
        reason = null;
        var named = CertificateExtensions.Contains(file.Extension, StringComparer.OrdinalIgnoreCase);
        if (file.Length > MaxFileSize)
        {
            reason = named ? $"is larger than {MaxFileSize} bytes; not a certificate." : null;
            return null;
        }

        var text = File.ReadAllText(file.FullName);
        if (!text.Contains(CertificateLabel, StringComparison.Ordinal))
        {
            // A key file, or another secret: not a certificate, and nothing to report. A file named like a certificate is an error.
            reason = named && !text.Contains("PRIVATE KEY-----", StringComparison.Ordinal) ? "holds no PEM certificate (-----BEGIN CERTIFICATE-----)." : null;
            return null;
        }

        var keyText = text;
        var keyFile = file.Name;
        if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            var candidates = new[] { Path.ChangeExtension(file.FullName, ".key"), file.FullName + ".key" };
            var found = candidates.FirstOrDefault(File.Exists);
            if (found is null)
            {
                reason = $"has no private key: none in the file, and no {Path.GetFileName(candidates[0])} beside it.";
                return null;
            }

            keyText = File.ReadAllText(found);
            keyFile = Path.GetFileName(found);
        }

        if (keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            reason = $"has an encrypted private key ({keyFile}); give the key unencrypted (a swarm secret is already encrypted at rest).";
            return null;
        }

        X509Certificate2Collection chain = [];
        X509Certificate2 leaf;
        try
        {
            chain.ImportFromPem(text);
            leaf = X509Certificate2.CreateFromPem(text, keyText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // A key that does not match is an ArgumentException; a corrupt certificate or key a CryptographicException.
            reason = Describe(ex, keyFile);
            return null;
        }

        var names = DnsNames(leaf);
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        reason =
            now >= notAfter ? $"expired on {notAfter:u} ({string.Join(", ", names)})." :
            now < notBefore ? $"is not valid before {notBefore:u} ({string.Join(", ", names)})." :
            names.Count == 0 ? "has no DNS name (subject alternative name) to be chosen by." :
            !AllowsServerAuthentication(leaf) ? "is not for TLS servers (its extended key usage lacks serverAuth)." :
            null;
        if (reason is not null)
        {
            leaf.Dispose();
            return null;
        }

        // The leaf comes first in the file; the rest is the chain sent with it (offline: never fetched from the network).
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new ServerCertificate(name, names, leaf.Subject, leaf.Issuer, notBefore, notAfter, leaf.Thumbprint, context);
    }

    private static string Describe(Exception ex, string keyFile) =>
        ex.Message.Contains("does not match", StringComparison.OrdinalIgnoreCase)
            ? $"has a private key ({keyFile}) that does not match its certificate."
            : $"cannot be loaded with its private key ({keyFile}): {ex.Message}";

    /// <summary>The DNS names of a certificate's subject alternative names, lower case (the subject's CN is not used).</summary>
    internal static List<string> DnsNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAlternativeName)
            {
                foreach (var name in new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical).EnumerateDnsNames())
                {
                    names.Add(name.ToLowerInvariant());
                }
            }
        }

        return names;
    }

    private static bool AllowsServerAuthentication(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == EnhancedKeyUsage)
            {
                var usage = new X509EnhancedKeyUsageExtension(extension, extension.Critical);
                foreach (var oid in usage.EnhancedKeyUsages)
                {
                    if (oid.Value == ServerAuthentication)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        return true;
    }
}
