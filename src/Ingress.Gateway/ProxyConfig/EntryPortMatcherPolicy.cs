using Ingress.Gateway.Hosting;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.ProxyConfig;

/// <summary>
/// Routes by the port a connection arrived on, the way the routing mesh maps a published port. An endpoint with
/// <see cref="EntryPortMetadata"/> matches only on that port; an endpoint without it (static routes) matches on
/// every entry port but never on the admin port, so admin and public traffic can never cross.
/// </summary>
/// <remarks>
/// The local port is used rather than the Host header's port, which clients and upstream load balancers rewrite.
/// </remarks>
internal sealed class EntryPortMatcherPolicy(IOptions<GatewayOptions> options) : MatcherPolicy, IEndpointSelectorPolicy
{
    private readonly int _adminPort = options.Value.AdminPort;

    // After the built-in host matcher (-100), before anything that depends on a single survivor.
    public override int Order => -50;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => endpoints.Count > 0;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var localPort = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }

            var required = candidates[i].Endpoint.Metadata.GetMetadata<EntryPortMetadata>();
            var matches = required is null ? localPort != _adminPort : required.Port == localPort;
            if (!matches)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
