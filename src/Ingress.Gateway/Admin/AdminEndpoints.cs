using Ingress.Gateway.Discovery;
using Ingress.Gateway.ProxyConfig;
using Ingress.Gateway.Reconciliation;
using Ingress.Gateway.Telemetry;
using Prometheus;

namespace Ingress.Gateway.Admin;

/// <summary>Maps the admin API and the dashboard, reachable only on the admin port.</summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this WebApplication app, int adminPort)
    {
        var admin = app.MapGroup("").WithMetadata(new EntryPortMetadata(adminPort));

        admin.MapDashboard();
        admin.MapGet("/healthz", () => Results.Text("ok"));

        admin.MapGet("/readyz", (DiscoveryReconciler reconciler) =>
        {
            var body = new ReadinessResponse(reconciler.IsReady ? "ready" : "not ready", reconciler.Sources);
            return Results.Json(body, statusCode: reconciler.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        admin.MapGet("/api/state", (
            DiscoveryReconciler reconciler,
            SwarmProxyConfigProvider provider,
            Microsoft.Extensions.Options.IOptions<Hosting.GatewayOptions> options,
            Yarp.ReverseProxy.IProxyStateLookup proxy,
            ReplicaStats stats,
            TimeProvider time) =>
            Results.Json(GatewayState.From(reconciler, provider.Revision, options.Value, proxy, stats, time)));

        var registry = app.Services.GetRequiredService<GatewayMetrics>().Registry;
        admin.MapMetrics("/metrics", registry);
    }

    private sealed record ReadinessResponse(string Status, IReadOnlyList<DiscoverySourceStatus> Sources);
}
