using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Gateway.Acme;

/// <summary>
/// The HTTP client the ACME client talks through, and the one decision it makes about TLS: with a trusted root file, the
/// certificate authority's certificate must chain to one of those roots and to nothing else (a test CA such as pebble's);
/// without one, the operating system's trust store decides, as for any other client.
/// </summary>
/// <remarks>Host name checks stay on either way; no certificate is ever accepted for its own sake.</remarks>
internal static class AcmeServerTrust
{
    /// <summary>The <c>User-Agent</c> RFC 8555 §6.1 asks every ACME client to send.</summary>
    public static readonly ProductInfoHeaderValue UserAgent = new("Ingress-Gateway-ACME", "1.0");

    /// <summary>An HTTP client for the certificate authority that <paramref name="options"/> names.</summary>
    public static HttpClient CreateClient(AcmeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (!string.IsNullOrWhiteSpace(options.TrustedRootFile))
        {
            var roots = TryLoadRoots(options.TrustedRootFile, out var error)
                ?? throw new InvalidOperationException($"{AcmeOptions.SectionName}:{nameof(AcmeOptions.TrustedRootFile)}: {error}");
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                ChainsTo(roots, certificate, chain, errors);
        }

        var client = new HttpClient(handler, disposeHandler: true) { Timeout = options.RequestTimeout };
        client.DefaultRequestHeaders.UserAgent.Add(UserAgent);
        return client;
    }

    /// <summary>
    /// True when <paramref name="certificate"/> was presented for the right name and chains to one of
    /// <paramref name="roots"/>, whatever the system's trust store says of it.
    /// </summary>
    internal static bool ChainsTo(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        // A name mismatch or no certificate at all fails whatever the roots; only the chain is judged here instead.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    /// <summary>The root certificates in a PEM file; null, with the reason, when it cannot be read or holds none.</summary>
    internal static X509Certificate2Collection? TryLoadRoots(string path, out string? error)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            error = $"cannot read the root certificates in {path}: {ex.Message}";
            return null;
        }

        if (roots.Count == 0)
        {
            error = $"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).";
            return null;
        }

        error = null;
        return roots;
    }
}
