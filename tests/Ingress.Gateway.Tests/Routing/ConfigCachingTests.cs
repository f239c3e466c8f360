using Ingress.Gateway.Resilience;
using Ingress.Gateway.Routing;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>What YARP runs over every route and cluster on every apply, cached per config object.</summary>
public sealed class ConfigCachingTests
{
    private static readonly RouteConfig s_route = new()
    {
        RouteId = "web/rule",
        ClusterId = "web/80",
        Match = new RouteMatch { Hosts = ["web.example.com"], Path = "/{**catch-all}" },
    };

    private static readonly ClusterConfig s_cluster = new()
    {
        ClusterId = "web/80",
        LoadBalancingPolicy = "RoundRobin",
        Destinations = new Dictionary<string, DestinationConfig> { ["t1"] = new() { Address = "http://10.0.0.1:80/" } },
    };

    [Fact]
    public async Task Validator_ValidConfigObject_IsValidatedOnce()
    {
        var (validator, yarp) = Create();

        Assert.Empty(await validator.ValidateRouteAsync(s_route));
        Assert.Empty(await validator.ValidateRouteAsync(s_route));
        Assert.Empty(await validator.ValidateClusterAsync(s_cluster));
        Assert.Empty(await validator.ValidateClusterAsync(s_cluster));

        Assert.Equal(1, yarp.Routes);
        Assert.Equal(1, yarp.Clusters);
    }

    [Fact]
    public async Task Validator_EqualButNewObject_IsValidatedAgain()
    {
        var (validator, yarp) = Create();

        await validator.ValidateRouteAsync(s_route);
        await validator.ValidateRouteAsync(s_route with { });

        Assert.Equal(2, yarp.Routes);
    }

    [Fact]
    public async Task Validator_InvalidConfig_IsRejectedEveryTime()
    {
        var (validator, yarp) = Create();
        var noMatch = s_route with { Match = new RouteMatch() };
        var unknownPolicy = s_cluster with { LoadBalancingPolicy = "NoSuchPolicy" };

        for (var i = 0; i < 2; i++)
        {
            Assert.Contains(await validator.ValidateRouteAsync(noMatch), e => e.Message.Contains("requires Hosts or Path", StringComparison.Ordinal));
            Assert.Contains(await validator.ValidateClusterAsync(unknownPolicy), e => e.Message.Contains("NoSuchPolicy", StringComparison.Ordinal));
        }

        Assert.Equal(2, yarp.Routes);
        Assert.Equal(2, yarp.Clusters);
    }

    [Fact]
    public async Task ClusterDefaults_SameObject_GivesTheSameConfiguredObject()
    {
        var filter = new ClusterDefaultsFilter(Options.Create(new ResilienceOptions()));

        var first = await filter.ConfigureClusterAsync(s_cluster, CancellationToken.None);
        var again = await filter.ConfigureClusterAsync(s_cluster, CancellationToken.None);
        var equal = await filter.ConfigureClusterAsync(s_cluster with { }, CancellationToken.None);

        Assert.Same(first, again);
        Assert.NotSame(first, equal);
        Assert.Equal(first, equal);
        Assert.Equal(TransportFailurePolicy.PolicyName, first.HealthCheck!.Passive!.Policy);
    }

    /// <summary>The caching validator in front of YARP's own, counting what reaches YARP's.</summary>
    private static (CachingConfigValidator Validator, CountingValidator Yarp) Create()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddReverseProxy();
        var yarp = new CountingValidator(services.BuildServiceProvider().GetRequiredService<IConfigValidator>());
        return (new CachingConfigValidator(yarp), yarp);
    }

    private sealed class CountingValidator(IConfigValidator inner) : IConfigValidator
    {
        public int Routes { get; private set; }

        public int Clusters { get; private set; }

        public ValueTask<IList<Exception>> ValidateRouteAsync(RouteConfig route)
        {
            Routes++;
            return inner.ValidateRouteAsync(route);
        }

        public ValueTask<IList<Exception>> ValidateClusterAsync(ClusterConfig cluster)
        {
            Clusters++;
            return inner.ValidateClusterAsync(cluster);
        }
    }
}
