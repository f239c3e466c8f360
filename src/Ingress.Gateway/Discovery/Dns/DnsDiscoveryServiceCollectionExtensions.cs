namespace Ingress.Gateway.Discovery.Dns;

/// <summary>Registers the DNS discovery source (<c>Ingress:Discovery:Dns</c>), which needs no Docker socket.</summary>
internal static class DnsDiscoveryServiceCollectionExtensions
{
    /// <summary>Adds the source when <paramref name="options"/> enable it.</summary>
    public static IServiceCollection AddDnsDiscovery(this IServiceCollection services, DnsDiscoveryOptions options)
    {
        if (!options.Enabled)
        {
            return services;
        }

        services.AddSingleton(new DiscoverySourceRegistration(DnsSwarmSource.SourceName));
        services.AddHostedService<DnsSwarmSource>();
        return services;
    }
}
