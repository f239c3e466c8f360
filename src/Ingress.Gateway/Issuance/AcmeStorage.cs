using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Acme;
using Ingress.Gateway.Tls;

namespace Ingress.Gateway.Issuance;

/// <summary>
/// Where the gateway keeps what ACME gave it, so that a restart neither registers again nor orders again: the account
/// key (<c>account.key</c>) and one file per certificate (<c>certificates/&lt;first name&gt;.pem</c>: the chain, then the
/// certificate's key). The TLS entry ports serve the <c>certificates</c> folder as it is.
/// </summary>
/// <remarks>
/// Every file is created readable and writable by the gateway's user alone (0600), written beside its final name and
/// renamed over it, so a reader (the TLS reloader) never sees half a file.
/// </remarks>
internal sealed class AcmeStorage(string root)
{
    private const string AccountKeyFile = "account.key";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>The folder of issued certificates.</summary>
    public string CertificatesPath { get; } = Path.Combine(root, "certificates");

    /// <summary>The account key kept here, or a new one (<c>Created</c>), kept from now on.</summary>
    public (AccountKey Key, bool Created) LoadOrCreateAccountKey()
    {
        var file = Path.Combine(root, AccountKeyFile);
        if (File.Exists(file))
        {
            return (AccountKey.FromPem(File.ReadAllText(file)), false);
        }

        var key = AccountKey.Create();
        Write(file, key.ExportPem());
        return (key, true);
    }

    /// <summary>Every certificate kept here that parses; a file that does not is left out (and replaced by the next order).</summary>
    public IReadOnlyList<StoredCertificate> Load()
    {
        var found = new List<StoredCertificate>();
        if (!Directory.Exists(CertificatesPath))
        {
            return found;
        }

        foreach (var file in Directory.EnumerateFiles(CertificatesPath, "*.pem"))
        {
            try
            {
                found.Add(StoredCertificate.Read(Path.GetFileName(file), File.ReadAllText(file)));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException)
            {
                // The TLS store reports an unusable file with its reason; here it is only not a certificate held.
            }
        }

        return found;
    }

    /// <summary>Keeps <paramref name="issued"/> as the certificate of <paramref name="names"/>, replacing an older one.</summary>
    public StoredCertificate Save(ImmutableArray<string> names, IssuedCertificate issued)
    {
        ArgumentNullException.ThrowIfNull(issued);
        var chain = issued.ChainPem.EndsWith('\n') ? issued.ChainPem : issued.ChainPem + "\n";
        var text = chain + issued.PrivateKeyPem + "\n";
        var name = FileName(names);
        Write(Path.Combine(CertificatesPath, name), text);
        return StoredCertificate.Read(name, text);
    }

    /// <summary>Every certificate file kept here, as it is on disk, for the other gateways.</summary>
    public IReadOnlyList<CertificateBundleFile> ReadFiles()
    {
        var files = new List<CertificateBundleFile>();
        if (Directory.Exists(CertificatesPath))
        {
            foreach (var file in Directory.EnumerateFiles(CertificatesPath, "*.pem"))
            {
                files.Add(new CertificateBundleFile(Path.GetFileName(file), File.ReadAllText(file)));
            }
        }

        return files;
    }

    /// <summary>
    /// Keeps each of <paramref name="files"/> (from another gateway) that parses and expires later than the file of the
    /// same name held here, if any; returns how many it wrote. A name that is not a plain <c>name.pem</c> is refused.
    /// </summary>
    public int Merge(IEnumerable<CertificateBundleFile> files)
    {
        var held = Load().ToDictionary(c => c.File, StringComparer.Ordinal);
        var written = 0;
        foreach (var file in files)
        {
            if (!IsPlainFileName(file.Name))
            {
                continue;
            }

            StoredCertificate offered;
            try
            {
                offered = StoredCertificate.Read(file.Name, file.Pem);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                continue;
            }

            if (held.TryGetValue(file.Name, out var mine) && mine.NotAfter >= offered.NotAfter)
            {
                continue;
            }

            Write(Path.Combine(CertificatesPath, file.Name), file.Pem);
            written++;
        }

        return written;
    }

    /// <summary>A host name and <c>.pem</c>: no separator, no dot segment, nothing hidden.</summary>
    private static bool IsPlainFileName(string name) =>
        name.EndsWith(".pem", StringComparison.Ordinal) && name.Length > 4 && char.IsAsciiLetterOrDigit(name[0])
        && !name.AsSpan().ContainsAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789.-") && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>The file of a set of names: its first name, which is a host name (checked by the label parser), so a safe file name.</summary>
    public static string FileName(ImmutableArray<string> names) => names[0] + ".pem";

    private static void Write(string file, string text)
    {
        var folder = Path.GetDirectoryName(file)!;
        var temporary = file + ".new";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, OwnerOnlyFolder);
            create.UnixCreateMode = OwnerOnly;
        }

        using (var stream = new FileStream(temporary, create))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        File.Move(temporary, file, overwrite: true);
    }
}

/// <summary>A certificate kept in <see cref="AcmeStorage"/>: its file, its DNS names and its validity.</summary>
internal sealed record StoredCertificate(string File, ImmutableArray<string> Names, DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    /// <summary>Two thirds into its lifetime (<see cref="IssuedCertificate.RenewalTime"/>).</summary>
    public DateTimeOffset RenewAt => IssuedCertificate.RenewalTime(NotBefore, NotAfter);

    /// <summary>Whether it is for every one of <paramref name="names"/>.</summary>
    public bool Covers(ImmutableArray<string> names)
    {
        foreach (var name in names)
        {
            if (!Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads the leaf (the first certificate) of a PEM file.</summary>
    public static StoredCertificate Read(string file, string pem)
    {
        using var leaf = X509Certificate2.CreateFromPem(pem);
        return new StoredCertificate(file, [.. CertificateFolder.DnsNames(leaf)], new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
    }
}
