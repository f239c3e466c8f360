using Ingress.Gateway.Admin;
namespace Ingress.Gateway.Telemetry;

/// <summary>Registers what the gateway records (<c>Ingress:Telemetry</c>): metrics, per-replica stats and the access log.</summary>
internal static class TelemetryServiceCollectionExtensions
{
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Adds the gateway's metrics (one registry per gateway), the request recorder, per-replica stats, the scrape-time
    /// collector and, when <paramref name="options"/> switch it on, the access log's writer.
    /// </summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration, TelemetryOptions options)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<ReplicaStats>();
        services.AddSingleton<AccessLogWriter>();
        services.AddSingleton<RequestRecorder>();
        if (options.AccessLog)
        {
            services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        }

        services.AddHostedService<ScrapeTimeCollector>();

        // ASP.NET Core starts an Activity for every request whenever this category logs at any level, whether or not
        // anything records traces; the gateway records none, so it is off unless configured (it logs start-up errors
        // too, which GatewayApplication prints itself).
        if (configuration[$"Logging:LogLevel:{HostingDiagnosticsCategory}"] is null)
        {
            services.Configure<LoggerFilterOptions>(filters => filters.AddFilter(HostingDiagnosticsCategory, LogLevel.None));
        }

        return services;
    }
}
