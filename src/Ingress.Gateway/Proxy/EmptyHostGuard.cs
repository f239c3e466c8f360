using Ingress.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// Answers 400 to a request on an entry port whose <c>Host</c> header is present but empty, before any routing. Kestrel
/// accepts one (RFC 9112, 3.2 allows it for a target without an authority), and YARP would then send the replica two
/// <c>Host</c> lines; nginx answers 400. The relay hands such a request to Kestrel, so this one check serves both paths.
/// </summary>
/// <remarks>An <c>IStartupFilter</c>, so it runs first in the pipeline without touching how the pipeline is mapped.</remarks>
internal sealed class EmptyHostGuard(IOptions<GatewayOptions> options, IOptions<TlsOptions> tls) : IStartupFilter
{
    private readonly int[] _entryPorts = [.. options.Value.EntryPorts, .. tls.Value.Ports.Select(p => p.Port)];

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(Check);
        next(app);
    };

    /// <summary>True when a request carries a <c>Host</c> header with nothing in it (an HTTP/1.0 request may carry none).</summary>
    internal static bool IsEmptyHost(Microsoft.Extensions.Primitives.StringValues host) =>
        host.Count > 0 && host.ToString().AsSpan().Trim(" \t").IsEmpty;

    private Task Check(HttpContext context, RequestDelegate next)
    {
        if (Array.IndexOf(_entryPorts, context.Connection.LocalPort) >= 0 && IsEmptyHost(context.Request.Headers.Host))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers.Connection = "close";
            return Task.CompletedTask;
        }

        return next(context);
    }
}
