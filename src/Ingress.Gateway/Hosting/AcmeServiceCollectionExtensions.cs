using Ingress.Gateway.Acme;
using Ingress.Gateway.Issuance;
using Ingress.Gateway.Tls;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers ACME issuance: the HTTP-01 responder, the client, the storage and the service that orders and renews.</summary>
internal static class AcmeServiceCollectionExtensions
{
    /// <summary>The label under which issued certificates are shown among the TLS certificates (<c>acme/&lt;file&gt;</c>).</summary>
    public const string CertificateLabel = "acme";

    /// <summary>Adds ACME issuance when <paramref name="acme"/> has a directory; nothing otherwise.</summary>
    public static IServiceCollection AddAcmeIssuance(this IServiceCollection services, AcmeOptions acme)
    {
        if (!acme.Enabled)
        {
            return services;
        }

        var storage = new AcmeStorage(acme.StoragePath);
        services.AddSingleton(storage);
        services.AddSingleton(new ManagedCertificateFolder(storage.CertificatesPath, CertificateLabel));
        services.AddSingleton<Http01ChallengeStore>();
        services.AddSingleton(provider => new CertificateIssuer(
            acme,
            provider.GetRequiredService<Http01ChallengeStore>(),
            AcmeServerTrust.CreateClient(acme),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<CertificateIssuer>>()));
        services.AddSingleton<AcmeIssuanceService>();
        services.AddHostedService(provider => provider.GetRequiredService<AcmeIssuanceService>());
        return services;
    }
}
