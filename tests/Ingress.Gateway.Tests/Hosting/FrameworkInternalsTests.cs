using Ingress.Gateway.Hosting;
using Ingress.Gateway.Routing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Hosting;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Tests.Hosting;

/// <summary>
/// What <see cref="FrameworkInternals"/> assumes about how ASP.NET Core and YARP register their services. A failure here
/// after an upgrade means an assumption no longer holds: revisit <see cref="FrameworkInternals"/>, don't just fix the test.
/// </summary>
public sealed class FrameworkInternalsTests
{
    [Fact]
    public void DataProtectionHostedServices_AddDataProtection_RegistersItsKeyRingWarmUpByType()
    {
        var hosted = FrameworkInternals.DataProtectionHostedServices();

        Assert.NotEmpty(hosted);
        Assert.All(hosted, type => Assert.Equal(typeof(DataProtectionOptions).Assembly, type.Assembly));
    }

    [Fact]
    public void AddReverseProxy_RegistersTheDataProtectionWarmUp()
    {
        var services = new ServiceCollection();

        services.AddReverseProxy();

        Assert.Contains(services, d => IsDataProtectionStartup(d));
    }

    [Fact]
    public void AddIngressGateway_DataProtection_IsLazyWithoutTheWarmUp()
    {
        IServiceCollection? services = null;
        using var app = GatewayApplication.Build([], builder => services = builder.Services);

        Assert.DoesNotContain(services!, d => IsDataProtectionStartup(d));
        Assert.IsType<LazyDataProtectionProvider>(app.Services.GetRequiredService<IDataProtectionProvider>());
    }

    [Fact]
    public void AddReverseProxy_RegistersOneSingletonConfigValidator()
    {
        var services = new ServiceCollection();

        services.AddReverseProxy();

        var validator = Assert.Single(services, d => d.ServiceType == typeof(IConfigValidator));
        Assert.Equal(ServiceLifetime.Singleton, validator.Lifetime);
    }

    [Fact]
    public async Task AddIngressGateway_ConfigValidator_IsTheCacheInFrontOfYarps()
    {
        using var app = GatewayApplication.Build([]);

        var validator = app.Services.GetRequiredService<IConfigValidator>();

        Assert.IsType<CachingConfigValidator>(validator);
        // YARP's own rules still apply behind the cache.
        var errors = await validator.ValidateRouteAsync(new RouteConfig { RouteId = "r", ClusterId = "c", Match = new RouteMatch() });
        Assert.Contains(errors, e => e.Message.Contains("requires Hosts or Path", StringComparison.Ordinal));
    }

    [Fact]
    public void WrapConfigValidator_NoneRegistered_ThrowsNamingIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FrameworkInternals.WrapConfigValidator(new ServiceCollection()));

        Assert.Contains(nameof(IConfigValidator), ex.Message);
    }

    [Fact]
    public void WrapConfigValidator_TwoRegistered_Throws()
    {
        var services = new ServiceCollection();
        services.AddReverseProxy();
        services.AddSingleton<IConfigValidator, CachingConfigValidator>();

        Assert.Throws<InvalidOperationException>(() => FrameworkInternals.WrapConfigValidator(services));
    }

    private static bool IsDataProtectionStartup(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IHostedService)
        && !descriptor.IsKeyedService
        && descriptor.ImplementationType?.Assembly == typeof(DataProtectionOptions).Assembly;
}
