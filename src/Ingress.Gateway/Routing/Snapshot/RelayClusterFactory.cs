using System.Net;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Schema;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>
/// Decides which clusters the relay forwards to itself and describes them. A cluster qualifies when forwarding to it
/// needs nothing of the YARP pipeline the relay does not do: plain-HTTP destinations at IP addresses, a load-balancing
/// policy that needs no per-request state, no session affinity, the gateway's own passive health policy, and no HTTP
/// client settings that change how a request is sent.
/// </summary>
internal sealed class RelayClusterFactory
{
    /// <summary>The built-in policies that pick a destination from the cluster alone (no request, no in-flight counts).</summary>
    internal static readonly HashSet<string> StatelessPolicies = new(StringComparer.OrdinalIgnoreCase)
    {
        LoadBalancingPolicies.RoundRobin,
        LoadBalancingPolicies.Random,
        LoadBalancingPolicies.FirstAlphabetical,
    };

    private readonly Dictionary<string, ILoadBalancingPolicy> _policies;
    private readonly Dictionary<string, IPassiveHealthCheckPolicy> _passivePolicies;
    private readonly ResilienceOptions _resilience;

    public RelayClusterFactory(
        IEnumerable<ILoadBalancingPolicy> policies,
        IEnumerable<IPassiveHealthCheckPolicy> passivePolicies,
        IOptions<ResilienceOptions> resilience)
    {
        _passivePolicies = passivePolicies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _policies = new Dictionary<string, ILoadBalancingPolicy>(StringComparer.OrdinalIgnoreCase);
        foreach (var policy in policies)
        {
            _policies[policy.Name] = policy;
        }

        _resilience = resilience.Value;
    }

    /// <summary>The relay's view of <paramref name="cluster"/>, or null when its requests go through the YARP pipeline.</summary>
    public RelayCluster? Create(ClusterState cluster)
    {
        var config = cluster.Model.Config;
        var policyName = string.IsNullOrEmpty(config.LoadBalancingPolicy) ? LoadBalancingPolicies.PowerOfTwoChoices : config.LoadBalancingPolicy;
        if (!StatelessPolicies.Contains(policyName) || !_policies.TryGetValue(policyName, out var policy)
            || config.SessionAffinity is { Enabled: true })
        {
            return null;
        }

        if (config.HttpClient is { } client
            && (client.MaxConnectionsPerServer is not null || client.WebProxy is not null
                || client.RequestHeaderEncoding is not null || client.ResponseHeaderEncoding is not null))
        {
            return null;
        }

        if (config.HttpRequest is { Version: { Major: >= 2 } version } request
            && request.VersionPolicy is System.Net.Http.HttpVersionPolicy.RequestVersionExact or System.Net.Http.HttpVersionPolicy.RequestVersionOrHigher)
        {
            return null;
        }

        var passive = config.HealthCheck?.Passive;
        IPassiveHealthCheckPolicy? passivePolicy = null;
        if (passive?.Enabled == true
            && (!string.Equals(passive.Policy, TransportFailurePolicy.PolicyName, StringComparison.OrdinalIgnoreCase)
                || !_passivePolicies.TryGetValue(passive.Policy!, out passivePolicy)))
        {
            // Another passive policy (YARP's failure-rate one, say) counts the successes too, which the relay does not report.
            return null;
        }

        var destinations = new List<RelayDestination>(cluster.Destinations.Count);
        foreach (var destination in cluster.Destinations.Values)
        {
            if (Describe(destination) is not { } relayed)
            {
                return null;
            }

            destinations.Add(relayed);
        }

        return new RelayCluster(
            cluster,
            config.ServiceName(),
            policy,
            config.HttpRequest?.ActivityTimeout ?? _resilience.RequestTimeout,
            passivePolicy,
            destinations,
            _resilience.RetryAfterSeconds);
    }

    /// <summary>An <c>http://ip:port/</c> destination, with no path and no Host override; null for anything else.</summary>
    internal static RelayDestination? Describe(DestinationState destination)
    {
        var config = destination.Model.Config;
        if (config.Host is not null
            || !Uri.TryCreate(config.Address, UriKind.Absolute, out var uri)
            || uri.Scheme != Uri.UriSchemeHttp
            || uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0
            || !IPAddress.TryParse(uri.IdnHost, out var address))
        {
            return null;
        }

        return new RelayDestination(destination, new IPEndPoint(address, uri.Port), config.Address);
    }
}
