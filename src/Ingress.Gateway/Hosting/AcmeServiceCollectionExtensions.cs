using Ingress.Gateway.Acme;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Discovery.Docker.Engine;
using Ingress.Gateway.Issuance;
using Ingress.Gateway.Tls;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers ACME issuance: the HTTP-01 responder, the client, the storage and the service that orders and renews.</summary>
internal static class AcmeServiceCollectionExtensions
{
    /// <summary>The label under which issued certificates are shown among the TLS certificates (<c>acme/&lt;file&gt;</c>).</summary>
    public const string CertificateLabel = "acme";

    /// <summary>
    /// Adds ACME issuance when <paramref name="acme"/> has a directory; nothing otherwise. With the control channel on,
    /// the manager gateway on the swarm's leader issues and serves what it holds to the other gateways, which fetch it;
    /// without, this gateway issues alone.
    /// </summary>
    public static IServiceCollection AddAcmeIssuance(this IServiceCollection services, AcmeOptions acme, bool controlChannel, DockerEngineClient? docker)
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
        if (!controlChannel)
        {
            services.AddSingleton<IIssuerElection, StandaloneIssuer>();
            return services;
        }

        services.AddHostedService<CertificateBundlePoller>();
        if (docker is null)
        {
            services.AddSingleton<IIssuerElection, FollowerNeverIssues>();
            return services;
        }

        services.AddSingleton<IIssuerElection>(new SwarmLeaderIssues(new SwarmLeadership(docker)));
        services.AddSingleton<IControlResource, CertificateBundleResource>();
        return services;
    }
}
