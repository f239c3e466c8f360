using System.Net;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Routing;

/// <summary>
/// The YARP cluster of one service's tasks on one target port: destinations, load balancing, health checks, request
/// settings and session affinity, as the service's labels ask. Part of <see cref="RouteTableBuilder"/>'s pure mapping.
/// </summary>
internal static class ServiceClusters
{
    /// <summary>The cluster of <paramref name="service"/>'s tasks on <paramref name="targetPort"/>, with what its labels ask of it.</summary>
    public static ClusterConfig Build(string clusterId, SwarmService service, int targetPort, ServiceRouting routing)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        foreach (var task in service.Tasks)
        {
            destinations[task.Id] = new DestinationConfig
            {
                Address = RouteTableBuilder.DestinationAddress(task.Address, targetPort),
                Host = null,
            };
        }

        return new ClusterConfig
        {
            ClusterId = clusterId,
            LoadBalancingPolicy = routing.LoadBalancingPolicy,
            Destinations = destinations,
            HealthCheck = routing.HealthCheck is { } probe
                ? new HealthCheckConfig
                {
                    Active = new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        // YARP escapes a '?' in Path, so a query string has to go in Query (which keeps its '?').
                        Path = probe.PathOnly,
                        Query = probe.Query,
                        Interval = probe.Interval,
                        Timeout = probe.Timeout,
                    },
                }
                : null,
            // YARP's activity timeout: the replica must send something within it, or the request fails with 504.
            HttpRequest = RequestConfig(routing),
            SessionAffinity = StickyAffinity.For(routing.Sticky),
            Metadata = new Dictionary<string, string> { [RouteMetadata.ServiceKey] = service.Name },
        };
    }

    /// <summary>
    /// How requests go to the tasks: within <c>ingress.timeout</c>, and for <c>ingress.scheme=h2c</c> as HTTP/2 with prior
    /// knowledge and nothing else (a gRPC server speaks no HTTP/1.1). Null when both are the defaults.
    /// </summary>
    private static ForwarderRequestConfig? RequestConfig(ServiceRouting routing)
    {
        if (routing.Timeout is null && routing.Protocol == BackendProtocol.Http1)
        {
            return null;
        }

        var request = new ForwarderRequestConfig { ActivityTimeout = routing.Timeout };
        return routing.Protocol == BackendProtocol.H2c
            ? request with { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
            : request;
    }
}
