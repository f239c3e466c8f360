using Ingress.Gateway.Discovery.Docker.Engine;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>Registers the Docker Engine API discovery source (<c>Ingress:Discovery:Docker</c>).</summary>
internal static class DockerDiscoveryServiceCollectionExtensions
{
    /// <summary>
    /// Adds the source when <paramref name="options"/> enable it, with <paramref name="client"/>, created (and so
    /// checked) while the gateway's settings were validated.
    /// </summary>
    public static IServiceCollection AddDockerDiscovery(this IServiceCollection services, DockerDiscoveryOptions options, DockerEngineClient? client)
    {
        if (!options.Enabled)
        {
            return services;
        }

        ArgumentNullException.ThrowIfNull(client);
        services.AddSingleton(new DiscoverySourceRegistration(DockerSwarmSource.SourceName));
        // A factory registration, so the container disposes the client.
        services.AddSingleton(_ => client);
        services.AddHostedService<DockerSwarmSource>();
        return services;
    }
}
