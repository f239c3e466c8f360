using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Ingress.Gateway.Admin;

/// <summary>Maps the admin API and the dashboard, reachable only on the admin port.</summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app, int adminPort)
    {
        var admin = app.MapGroup("").WithMetadata(new EntryPortMetadata(adminPort));

        // Metadata for the documents, taken once from the HTTP JSON options: source-generated (AdminJsonContext), shaped by
        // those options as Results.Json would be, and without the reflection fallback a trimmed publish does not have.
        var json = app.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var readinessJson = TypeInfo<ReadinessResponse>(json);
        var stateJson = TypeInfo<GatewayState>(json);

        admin.MapDashboard();
        admin.MapGet("/healthz", () => Results.Text("ok"));

        admin.MapGet("/readyz", (DiscoveryReconciler reconciler) =>
        {
            var body = new ReadinessResponse(reconciler.IsReady ? "ready" : "not ready", reconciler.Sources);
            return Results.Json(body, readinessJson, statusCode: reconciler.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });

        admin.MapGet("/api/state", (
            DiscoveryReconciler reconciler,
            SwarmProxyConfigProvider provider,
            IOptions<GatewayOptions> options,
            IOptions<Resilience.ResilienceOptions> resilience,
            Yarp.ReverseProxy.IProxyStateLookup proxy,
            ReplicaStats stats,
            [Microsoft.AspNetCore.Mvc.FromServices] Discovery.Control.ControlStatus? control,
            [Microsoft.AspNetCore.Mvc.FromServices] Tls.CertificateStore? certificates,
            [Microsoft.AspNetCore.Mvc.FromServices] Issuance.AcmeIssuanceService? acme,
            IOptions<TlsOptions> tls,
            TimeProvider time,
            [Microsoft.AspNetCore.Mvc.FromServices] Access.UsersFiles? usersFiles) =>
            Results.Json(
                GatewayState.From(reconciler, provider.Revision, options.Value, resilience.Value, proxy, stats, control, certificates is null ? null : TlsView.From(tls.Value, certificates), acme?.Status, time, usersFiles),
                stateJson));

        var registry = app.ServiceProvider.GetRequiredService<GatewayMetrics>().Registry;
        admin.MapMetrics("/metrics", registry);
    }

    private static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}
