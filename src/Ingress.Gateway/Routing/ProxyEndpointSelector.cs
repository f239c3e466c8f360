using System.Text;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Chooses the YARP endpoint for a request that Kestrel serves on an entry port (a hand-off from the relay, or every
/// request with the relay off) from the same route snapshot the relay uses, before ASP.NET Core's routing runs. Routing
/// then skips matching, so its matcher over every YARP route is never built for the route sets the snapshot decides.
/// </summary>
/// <remarks>
/// ASP.NET Core rebuilds that matcher synchronously whenever an endpoint changes once it exists: inside YARP's apply,
/// before any request can use the new routes, and over a second at a thousand services (5 s on a busy 2-core machine;
/// docs/benchmarks.md). The snapshot decides exactly as the matcher would (a differential test holds it to that), and
/// leaves to it only what it does not evaluate: routes matching on methods, headers or query, path patterns with
/// parameters, ambiguous matches, and requests whose path or host is not plain ASCII.
/// </remarks>
/// <param name="routes">The route snapshot.</param>
/// <param name="enabled">False leaves every request to ASP.NET Core's matcher (the reference the tests compare with).</param>
/// <param name="tls">The TLS entry ports, which serve the routes of a plain entry port; none when null.</param>
internal sealed class ProxyEndpointSelector(RelayRoutes routes, bool enabled = true, TlsOptions? tls = null)
{
    private readonly int[] _tlsPorts = tls is null ? [] : [.. tls.Ports.Select(p => p.Port)];
    private readonly int[] _tlsRoutes = tls is null ? [] : [.. tls.Ports.Select(p => p.Routes)];

    /// <summary>Longest path or host the selector encodes; longer ones go to ASP.NET Core's matcher.</summary>
    private const int MaxLength = 2048;

    /// <summary>What a request with no route gets: the 404 ASP.NET Core answers when no endpoint matches.</summary>
    private static readonly Endpoint s_noRoute = new(
        static context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        },
        EndpointMetadataCollection.Empty,
        "No route");

    private EndpointDataSource? _yarp;
    private EndpointsByRoute? _endpoints;

    /// <summary>Gives the selector YARP's endpoints (the data source <c>MapReverseProxy</c> added).</summary>
    public void Attach(EndpointDataSource yarp) => _yarp = yarp;

    /// <summary>The middleware: sets the endpoint when the snapshot decides the route.</summary>
    public RequestDelegate Wrap(RequestDelegate next) => !enabled ? next : context =>
    {
        if (context.GetEndpoint() is null && Select(context) is { } endpoint)
        {
            context.SetEndpoint(endpoint);
        }

        return next(context);
    };

    /// <summary>The endpoint for <paramref name="context"/>, or null when ASP.NET Core's matcher must decide.</summary>
    internal Endpoint? Select(HttpContext context)
    {
        var localPort = context.Connection.LocalPort;
        var tlsIndex = _tlsPorts.Length == 0 ? -1 : Array.IndexOf(_tlsPorts, localPort);
        var port = routes.Current.ForPort(tlsIndex < 0 ? localPort : _tlsRoutes[tlsIndex]);
        var path = context.Request.Path.Value is { Length: > 0 } value ? value : "/";
        var host = context.Request.Host.Host;
        if (port is null || port.Unsupported || _yarp is null || path.Length > MaxLength || host.Length > MaxLength)
        {
            return null;
        }

        Span<byte> pathBytes = stackalloc byte[path.Length];
        Span<byte> hostBytes = stackalloc byte[host.Length];
        if (Ascii.FromUtf16(path, pathBytes, out _) != System.Buffers.OperationStatus.Done
            || Ascii.FromUtf16(host, hostBytes, out _) != System.Buffers.OperationStatus.Done
            || pathBytes.IndexOfAnyExcept(HttpSyntax.PlainPathChars) >= 0
            || hostBytes.IsEmpty)
        {
            return null;
        }

        var route = port.Match(hostBytes, pathBytes, out _, out var undecided);
        if (route is null)
        {
            return undecided ? null : s_noRoute;
        }

        return EndpointFor(route.Model);
    }

    private Endpoint? EndpointFor(RouteModel route)
    {
        var endpoints = Volatile.Read(ref _endpoints);
        if (endpoints is null || endpoints.Changed.HasChanged)
        {
            endpoints = EndpointsByRoute.From(_yarp!);
            Volatile.Write(ref _endpoints, endpoints);
        }

        // A route the snapshot knows but YARP's endpoints not yet (a config being applied): the matcher decides.
        return endpoints.Map.GetValueOrDefault(route);
    }

    /// <summary>YARP's endpoints by route, valid until YARP's endpoints change.</summary>
    private sealed class EndpointsByRoute(Dictionary<RouteModel, Endpoint> map, IChangeToken changed)
    {
        public Dictionary<RouteModel, Endpoint> Map { get; } = map;

        public IChangeToken Changed { get; } = changed;

        public static EndpointsByRoute From(EndpointDataSource source)
        {
            // The token first: a change while the endpoints are read shows up as a changed token next time.
            var changed = source.GetChangeToken();
            var map = new Dictionary<RouteModel, Endpoint>();
            foreach (var endpoint in source.Endpoints)
            {
                if (endpoint.Metadata.GetMetadata<RouteModel>() is { } route)
                {
                    map[route] = endpoint;
                }
            }

            return new EndpointsByRoute(map, changed);
        }
    }
}
