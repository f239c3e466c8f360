using System.Net;
using Ingress.Gateway.Discovery;
using Yarp.ReverseProxy;

namespace Ingress.Gateway.Admin;

/// <summary>
/// Keeps what the admin port shows (the discovered state, the metrics, the dashboard) from the backends: a request that
/// arrives over a network where replicas live, that is on one of this gateway's addresses whose network holds a
/// replica's address, gets 403, except <c>/healthz</c>. Loopback is never a backends' network: it is the gateway's own.
/// </summary>
/// <remarks>
/// Operators reach the admin port through its published port, loopback, or a network without replicas (in
/// <c>stack.yml</c>, <c>monitoring</c>). The networks are worked out from the routed destinations at most every 2 s.
/// </remarks>
internal sealed class BackendNetworkGuard(IProxyStateLookup proxy, TimeProvider time)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);
    private volatile Computed? _computed;

    /// <summary>Runs <paramref name="next"/> unless the request came over a backends' network.</summary>
    public Func<HttpContext, Func<Task>, Task> Middleware => async (context, next) =>
    {
        if (context.Request.Path != "/healthz" && IsBackendAddress(context.Connection.LocalIpAddress))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("The admin port is not served on the backends' networks: use its published port, or a network without replicas.\n");
            return;
        }

        await next();
    };

    /// <summary>True when <paramref name="local"/> is this gateway's address on a network that holds routed replicas.</summary>
    public bool IsBackendAddress(IPAddress? local)
    {
        if (local is null)
        {
            return false;
        }

        var computed = _computed;
        var now = time.GetTimestamp();
        if (computed is null || time.GetElapsedTime(computed.At, now) >= Refresh)
        {
            _computed = computed = new Computed(BackendAddresses(Destinations(), LocalNetworks.Current()), now);
        }

        return computed.Addresses.Contains(LocalNetworks.Normalize(local));
    }

    /// <summary>Those of <paramref name="local"/>'s addresses, loopback aside, whose network holds one of <paramref name="destinations"/>.</summary>
    internal static HashSet<IPAddress> BackendAddresses(IEnumerable<IPAddress> destinations, IReadOnlyList<LocalSubnet> local)
    {
        var found = new HashSet<IPAddress>();
        foreach (var destination in destinations)
        {
            foreach (var subnet in local)
            {
                if (!IPAddress.IsLoopback(subnet.Address) && subnet.Contains(destination))
                {
                    found.Add(subnet.Address);
                }
            }
        }

        return found;
    }

    private HashSet<IPAddress> Destinations()
    {
        var addresses = new HashSet<IPAddress>();
        foreach (var cluster in proxy.GetClusters())
        {
            foreach (var destination in cluster.Destinations.Values)
            {
                if (Uri.TryCreate(destination.Model.Config.Address, UriKind.Absolute, out var uri)
                    && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address))
                {
                    addresses.Add(LocalNetworks.Normalize(address));
                }
            }
        }

        return addresses;
    }

    private sealed record Computed(HashSet<IPAddress> Addresses, long At);
}
