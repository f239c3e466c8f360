using Ingress.Gateway.Discovery.Docker;
using Ingress.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>Registers and maps the control channel (<c>Ingress:Control</c>): the manager gateways' side or a follower's.</summary>
internal static class ControlChannelServiceCollectionExtensions
{
    /// <summary>
    /// Adds the reconciler and what the discovery sources publish to. With the channel on, a gateway that
    /// <paramref name="readsSwarm"/> is a manager gateway: the sources publish through a <see cref="ControlFeed"/>, which
    /// followers' long polls read. Any other is a follower: its source is the <see cref="FollowerSource"/>. Without the
    /// channel, the sources publish to the reconciler directly.
    /// </summary>
    public static IServiceCollection AddDiscoverySink(this IServiceCollection services, ControlOptions options, bool readsSwarm)
    {
        services.AddSingleton<DiscoveryReconciler>();
        // Validated with the other settings, so the token loads when the channel is on.
        var token = options.Enabled ? ControlToken.TryLoad(options.TokenFile, out _) : null;
        if (token is null)
        {
            services.AddSingleton<IDiscoverySink>(sp => sp.GetRequiredService<DiscoveryReconciler>());
            return services;
        }

        services.AddSingleton(token);
        services.AddSingleton<ControlClient>();
        services.AddSingleton(new ManagerDirectory(options.Managers!, options.Port));
        services.AddSingleton(new ControlStatus(readsSwarm ? ControlRole.Manager : ControlRole.Follower, options.Managers!));
        if (!readsSwarm)
        {
            services.AddSingleton<IDiscoverySink>(sp => sp.GetRequiredService<DiscoveryReconciler>());
            services.AddSingleton(new DiscoverySourceRegistration(FollowerSource.SourceName));
            services.AddHostedService<FollowerSource>();
            return services;
        }

        services.AddSingleton(new ControlNetwork());
        services.AddSingleton(sp => new ControlFeed(sp.GetRequiredService<DiscoveryReconciler>(), DockerSwarmSource.SourceName, sp.GetRequiredService<ControlStatus>()));
        services.AddSingleton<IDiscoverySink>(sp => sp.GetRequiredService<ControlFeed>());
        services.AddSingleton<ControlEndpoint>();
        services.AddHostedService<ControlNetworkWatcher>();
        return services;
    }

    /// <summary>On a manager gateway, serves the control port with the <see cref="ControlEndpoint"/> and nothing else.</summary>
    public static WebApplication MapControlChannel(this WebApplication app)
    {
        if (app.Services.GetService<ControlEndpoint>() is { } endpoint)
        {
            var port = app.Services.GetRequiredService<IOptions<ControlOptions>>().Value.Port;
            app.MapWhen(context => context.Connection.LocalPort == port, control => control.Run(endpoint.HandleAsync));
        }

        return app;
    }
}
