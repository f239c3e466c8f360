using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;

namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>
/// What the relay hands a load-balancing policy for the <c>HttpContext</c> it has not got: a context that throws on
/// any use. The relay only serves clusters whose policy picks from the cluster alone (<see cref="RelayClusterFactory"/>
/// lists them, and a test runs each against this context), so a policy that starts to read the request fails loudly
/// rather than picking by made-up request data.
/// </summary>
internal sealed class NoRequestContext : HttpContext
{
    public static readonly NoRequestContext Instance = new();

    private NoRequestContext()
    {
    }

    public override IFeatureCollection Features => throw Unsupported();

    public override HttpRequest Request => throw Unsupported();

    public override HttpResponse Response => throw Unsupported();

    public override ConnectionInfo Connection => throw Unsupported();

    public override WebSocketManager WebSockets => throw Unsupported();

    public override ClaimsPrincipal User { get => throw Unsupported(); set => throw Unsupported(); }

    public override IDictionary<object, object?> Items { get => throw Unsupported(); set => throw Unsupported(); }

    public override IServiceProvider RequestServices { get => throw Unsupported(); set => throw Unsupported(); }

    public override CancellationToken RequestAborted { get => throw Unsupported(); set => throw Unsupported(); }

    public override string TraceIdentifier { get => throw Unsupported(); set => throw Unsupported(); }

    public override ISession Session { get => throw Unsupported(); set => throw Unsupported(); }

    public override void Abort() => throw Unsupported();

    private static NotSupportedException Unsupported() => new(
        "The relay picks replicas without a request: only load-balancing policies that pick from the cluster alone may serve its clusters.");
}
