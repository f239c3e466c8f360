using Ingress.Gateway.Routing;
using Yarp.ReverseProxy.LoadBalancing;

namespace Ingress.Gateway.Hosting;

/// <summary>Registers weighted canaries (<c>ingress.weight</c>) with YARP.</summary>
internal static class WeightedCanaryReverseProxyBuilderExtensions
{
    /// <summary>Adds <see cref="WeightedLoadBalancingPolicy"/>, which clusters shared by weighted services name.</summary>
    public static IReverseProxyBuilder AddWeightedCanaries(this IReverseProxyBuilder builder)
    {
        builder.Services.AddSingleton<ILoadBalancingPolicy, WeightedLoadBalancingPolicy>();
        return builder;
    }
}
