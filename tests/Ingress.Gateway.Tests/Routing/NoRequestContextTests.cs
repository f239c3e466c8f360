using Ingress.Gateway.Routing.Snapshot;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>The relay picks replicas with no request at hand; only policies that never look at one may serve its clusters.</summary>
public sealed class NoRequestContextTests
{
    [Fact]
    public void EveryPolicyTheRelayServes_PicksWithoutTouchingTheContext()
    {
        using var services = new ServiceCollection().AddLogging().AddReverseProxy().Services.BuildServiceProvider();
        var policies = services.GetServices<ILoadBalancingPolicy>().ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var cluster = new ClusterState("web");
        DestinationState[] destinations = [new("a"), new("b"), new("c")];

        Assert.NotEmpty(RelayClusterFactory.StatelessPolicies);
        foreach (var name in RelayClusterFactory.StatelessPolicies)
        {
            var policy = policies[name];
            for (var i = 0; i < 10; i++)
            {
                // (DestinationState is a list of itself: compared by reference, not by xunit's collection equality.)
                var picked = policy.PickDestination(NoRequestContext.Instance, cluster, destinations);
                Assert.True(destinations.Any(d => ReferenceEquals(d, picked)), $"{name} picked {picked?.DestinationId ?? "nothing"}");
            }
        }
    }

    [Fact]
    public void APolicyThatReadsTheRequest_FailsLoudly()
    {
        var cluster = new ClusterState("web");
        DestinationState[] destinations = [new("a")];

        var error = Assert.Throws<NotSupportedException>(() =>
            new ByHeaderPolicy().PickDestination(NoRequestContext.Instance, cluster, destinations));
        Assert.Contains("only load-balancing policies that pick from the cluster alone", error.Message, StringComparison.Ordinal);
    }

    private sealed class ByHeaderPolicy : ILoadBalancingPolicy
    {
        public string Name => "ByHeader";

        public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
            availableDestinations[context.Request.Headers.UserAgent.Count % availableDestinations.Count];
    }
}
