using System.Collections.Frozen;
using Ingress.Gateway.Configuration;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Routes by the port a connection arrived on, the way the routing mesh maps a published port. An endpoint with
/// <see cref="EntryPortMetadata"/> matches only on that port; an endpoint without it (static routes) matches on
/// every entry port but never on the admin port, so admin and public traffic can never cross. A TLS entry port matches
/// exactly as the plain entry port whose routes it serves (<see cref="TlsPortOptions.Routes"/>).
/// </summary>
/// <remarks>
/// <para>
/// The local port is used rather than the Host header's port, which clients and upstream load balancers rewrite.
/// </para>
/// <para>
/// A node-builder policy, as ASP.NET Core's host matcher is: the split by port is made once, when the route matcher
/// is built, and a request pays one dictionary lookup. (A per-request endpoint-selector policy would also cost every
/// request a candidate set and take routing off its single-candidate fast path.)
/// </para>
/// </remarks>
internal sealed class EntryPortMatcherPolicy(IOptions<GatewayOptions> options, IOptions<TlsOptions> tls) : MatcherPolicy, INodeBuilderPolicy
{
    /// <summary>The edge of every port no endpoint is bound to: static routes only.</summary>
    private const int AnyOtherPort = -1;

    private readonly int _adminPort = options.Value.AdminPort;
    private readonly List<TlsPortOptions> _tlsPorts = tls.Value.Ports;

    // After the built-in host matcher (-100).
    public override int Order => -50;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => endpoints.Count > 0;

    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        // The admin port always has an edge, so that static routes never match there even when nothing is bound to it.
        var ports = new SortedSet<int> { _adminPort };
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<EntryPortMetadata>() is { } bound)
            {
                ports.Add(bound.Port);
            }
        }

        // Each edge keeps the endpoints in their given order, which the matcher builder relies on.
        var edges = new List<PolicyNodeEdge>(ports.Count + 1);
        foreach (var port in ports)
        {
            edges.Add(new PolicyNodeEdge(port, Select(endpoints, port)));
        }

        edges.Add(new PolicyNodeEdge(AnyOtherPort, Select(endpoints, AnyOtherPort)));
        return edges;
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges)
    {
        var destinations = new Dictionary<int, int>();
        var otherPorts = exitDestination;
        foreach (var edge in edges)
        {
            var port = (int)edge.State;
            if (port == AnyOtherPort)
            {
                otherPorts = edge.Destination;
            }
            else
            {
                destinations[port] = edge.Destination;
            }
        }

        // A TLS port jumps where the port it serves the routes of jumps, decided here once rather than per request.
        foreach (var tlsPort in _tlsPorts)
        {
            destinations[tlsPort.Port] = destinations.TryGetValue(tlsPort.Routes, out var served) ? served : otherPorts;
        }

        return new PortJumpTable(destinations.ToFrozenDictionary(), otherPorts);
    }

    private List<Endpoint> Select(IReadOnlyList<Endpoint> endpoints, int port)
    {
        var selected = new List<Endpoint>();
        foreach (var endpoint in endpoints)
        {
            var bound = endpoint.Metadata.GetMetadata<EntryPortMetadata>();
            var matches = bound is null ? port != _adminPort : bound.Port == port;
            if (matches)
            {
                selected.Add(endpoint);
            }
        }

        return selected;
    }

    private sealed class PortJumpTable(FrozenDictionary<int, int> destinations, int otherPorts) : PolicyJumpTable
    {
        public override int GetDestination(HttpContext httpContext) =>
            destinations.TryGetValue(httpContext.Connection.LocalPort, out var destination) ? destination : otherPorts;
    }
}
