using Ingress.Gateway.Configuration;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers the release of start-up memory (<c>Ingress:Memory</c>).</summary>
internal static class MemoryServiceCollectionExtensions
{
    /// <summary>Adds <see cref="StartupMemoryRelease"/> when <see cref="MemoryOptions.ReleaseAfterStart"/> is on.</summary>
    public static IServiceCollection AddStartupMemoryRelease(this IServiceCollection services, MemoryOptions options)
    {
        if (options.ReleaseAfterStart)
        {
            services.AddSingleton<StartupMemoryRelease>();
            services.AddHostedService(static provider => provider.GetRequiredService<StartupMemoryRelease>());
        }

        return services;
    }
}
