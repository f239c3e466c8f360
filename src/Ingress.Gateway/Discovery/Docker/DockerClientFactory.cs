using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery.Docker.Engine;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>Creates the one <see cref="DockerEngineClient"/> the gateway uses, for a unix socket or a TLS <c>tcp://</c> endpoint.</summary>
internal static class DockerClientFactory
{
    /// <summary>
    /// Creates a client for <paramref name="options"/>. Called while the gateway is built, so a bad endpoint or a
    /// missing certificate is a <see cref="GatewayConfigurationException"/> naming the key, before anything starts.
    /// </summary>
    public static DockerEngineClient Create(DockerDiscoveryOptions options, TimeProvider? time = null)
    {
        var endpoint = options.ResolveEndpoint();
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http" or "https"))
        {
            throw new GatewayConfigurationException(
                [$"{DockerDiscoveryOptions.SectionName}:{nameof(DockerDiscoveryOptions.Endpoint)} (or DOCKER_HOST) = '{endpoint}' is not a unix:// or tcp:// Docker endpoint."]);
        }

        var certPath = options.TlsCertificatePath
            ?? (Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY") is { Length: > 0 } and not "0"
                ? Environment.GetEnvironmentVariable("DOCKER_CERT_PATH")
                : null);

        var tls = uri.Scheme == "unix" || string.IsNullOrEmpty(certPath)
            ? null
            : CreateTlsOptions(certPath);

        return new DockerEngineClient(DockerEngineTransport.CreateClient(uri, tls), options.RequestTimeout, time ?? TimeProvider.System);
    }

    private static SslClientAuthenticationOptions CreateTlsOptions(string directory)
    {
        var certFile = Path.Combine(directory, "cert.pem");
        var keyFile = Path.Combine(directory, "key.pem");
        var caFile = Path.Combine(directory, "ca.pem");
        foreach (var file in new[] { certFile, keyFile, caFile })
        {
            if (!File.Exists(file))
            {
                throw new GatewayConfigurationException(
                    [$"{DockerDiscoveryOptions.SectionName}:{nameof(DockerDiscoveryOptions.TlsCertificatePath)} (or DOCKER_CERT_PATH) = '{directory}' has no {Path.GetFileName(file)}."]);
            }
        }

        // Exported to PKCS#12 and back so the private key is usable by SslStream on every platform.
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        var clientCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        var authority = X509CertificateLoader.LoadCertificateFromFile(caFile);

        return new SslClientAuthenticationOptions
        {
            // A context rather than a collection: the certificate is sent whatever CAs the server says it accepts.
            ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true),
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && ChainsTo(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), authority, errors),
        };
    }

    /// <summary>
    /// Trusts the server only through the configured CA and for its host name, as the docker CLI does with
    /// <c>--tlsverify</c>. The name is checked by <see cref="SslStream"/> against the endpoint's host.
    /// </summary>
    private static bool ChainsTo(X509Certificate2 server, X509Certificate2 authority, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
