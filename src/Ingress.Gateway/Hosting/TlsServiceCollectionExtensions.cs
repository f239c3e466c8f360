using Ingress.Gateway.Configuration;
using Ingress.Gateway.Tls;
using Ingress.Gateway.Transport.Tls;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers the TLS entry ports' certificates: the store, its reloader, and the handshake that uses them.</summary>
internal static class TlsServiceCollectionExtensions
{
    /// <summary>Adds the certificate store and its reloader when <paramref name="tls"/> has TLS ports; nothing otherwise.</summary>
    public static IServiceCollection AddTlsEntryPorts(this IServiceCollection services, TlsOptions tls)
    {
        if (!tls.Enabled)
        {
            return services;
        }

        services.AddSingleton<CertificateStore>();
        services.AddSingleton<TlsHandshake>();
        services.AddSingleton<ITlsContextSelector, RelayTlsContexts>();
        services.AddHostedService<CertificateReloader>();
        return services;
    }
}
