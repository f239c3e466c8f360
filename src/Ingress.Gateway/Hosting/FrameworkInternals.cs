using Ingress.Gateway.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Hosting;

/// <summary>
/// The gateway's two edits to what ASP.NET Core and YARP register, where neither offers a switch. Both use public APIs
/// and name no framework type; what they rely on is how the framework registers these services. FrameworkInternalsTests
/// checks each assumption, so an upgrade that changes one fails a test rather than quietly changing the gateway.
/// </summary>
internal static class FrameworkInternals
{
    /// <summary>
    /// Puts <see cref="CachingConfigValidator"/> in front of YARP's config validator. YARP offers no hook around
    /// validation and its validator type is internal, so the one <see cref="IConfigValidator"/> registration YARP made
    /// (by type, factory or instance) is replaced by one that creates it the same way and wraps it.
    /// </summary>
    /// <exception cref="InvalidOperationException">YARP no longer registers exactly one singleton validator.</exception>
    public static void WrapConfigValidator(IServiceCollection services)
    {
        ServiceDescriptor? yarp = null;
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(IConfigValidator) && !descriptor.IsKeyedService)
            {
                yarp = yarp is null ? descriptor : throw NotWrappable("registers more than one");
            }
        }

        if (yarp is not { Lifetime: ServiceLifetime.Singleton })
        {
            throw NotWrappable(yarp is null ? "registers none" : "no longer registers it as a singleton");
        }

        services.Replace(ServiceDescriptor.Singleton<IConfigValidator>(sp => new CachingConfigValidator(Create(sp, yarp))));

        static IConfigValidator Create(IServiceProvider services, ServiceDescriptor descriptor) => (IConfigValidator)(
            descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

        static InvalidOperationException NotWrappable(string what) =>
            new($"YARP {what} {nameof(IConfigValidator)}; {nameof(CachingConfigValidator)} cannot wrap it (see {nameof(FrameworkInternals)}).");
    }

    /// <summary>
    /// Removes the hosted services that <c>AddDataProtection</c> registers (YARP's <c>AddReverseProxy</c> calls it). The
    /// one it registers loads the default key ring at start-up, creating and writing a key under
    /// <c>~/.aspnet/DataProtection-Keys</c> the first time, which loads the XML and cryptography stacks. The gateway's
    /// provider is ephemeral and lazy (<see cref="LazyDataProtectionProvider"/>), so that key ring is never used:
    /// without it, no key file is written and start-up is lighter. There is no option to skip the warm-up, and its type
    /// is internal, so the services to remove are the ones <c>AddDataProtection</c> adds to an empty collection.
    /// </summary>
    public static void RemoveDataProtectionStartup(IServiceCollection services)
    {
        var startup = DataProtectionHostedServices();
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i] is { ServiceType: var type, IsKeyedService: false } descriptor
                && type == typeof(IHostedService)
                && descriptor.ImplementationType is { } implementation
                && startup.Contains(implementation))
            {
                services.RemoveAt(i);
            }
        }
    }

    /// <summary>The hosted services <c>AddDataProtection</c> registers by type (its key-ring warm-up).</summary>
    internal static IReadOnlyList<Type> DataProtectionHostedServices()
    {
        var reference = new ServiceCollection();
        reference.AddDataProtection();
        var hosted = new List<Type>();
        foreach (var descriptor in reference)
        {
            if (descriptor.ServiceType == typeof(IHostedService) && !descriptor.IsKeyedService && descriptor.ImplementationType is { } type)
            {
                hosted.Add(type);
            }
        }

        return hosted;
    }
}
