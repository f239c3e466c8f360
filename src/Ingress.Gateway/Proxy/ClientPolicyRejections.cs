using Ingress.Gateway.Schema;
using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Proxy;

/// <summary>Counts the requests a client policy refused, in <c>ingress_policy_rejections_total{service,policy,reason}</c>, by the service <c>ingress_requests_total</c> names.</summary>
internal sealed class ClientPolicyRejections(GatewayMetrics metrics)
{
    /// <summary>The <c>policy</c> label of a request refused by <c>ingress.ipallowlist</c>.</summary>
    public const string AllowList = "ipallowlist";

    /// <summary>The <c>policy</c> label of a request refused by <c>ingress.ratelimit.*</c>.</summary>
    public const string RateLimit = "ratelimit";

    public void Count(HttpContext context, string policy) =>
        metrics.PolicyRejections.WithLabels(context.GetReverseProxyFeature().Cluster.Config.ServiceName(), policy, policy == RateLimit ? "limited" : "forbidden").Inc();
}
