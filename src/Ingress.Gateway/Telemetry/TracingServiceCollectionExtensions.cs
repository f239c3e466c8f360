using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ingress.Gateway.Telemetry;

/// <summary>Registers OpenTelemetry tracing (<c>Ingress:Telemetry:Tracing</c>) when an endpoint is configured.</summary>
internal static class TracingServiceCollectionExtensions
{
    /// <summary>ASP.NET Core's server span, one per request the gateway serves through Kestrel.</summary>
    public const string ServerSource = "Microsoft.AspNetCore";

    /// <summary>HttpClient's client span, one per attempt YARP's forwarder makes (so one per retry too).</summary>
    public const string ClientSource = "System.Net.Http";

    /// <summary>
    /// Adds the OpenTelemetry SDK with the framework's own spans and an OTLP exporter, or nothing at all when tracing
    /// is off: no <c>ActivityListener</c> is registered then, so ASP.NET Core and HttpClient create no Activity.
    /// Requests to <paramref name="adminPort"/> (scrapes, probes, the dashboard) are not traced.
    /// </summary>
    /// <remarks>
    /// The SDK reads the standard <c>OTEL_*</c> variables it reads anyway (such as <c>OTEL_EXPORTER_OTLP_HEADERS</c>,
    /// <c>OTEL_EXPORTER_OTLP_TIMEOUT</c>, <c>OTEL_BSP_SCHEDULE_DELAY</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>); the endpoint,
    /// protocol, sampler and service name are the gateway's settings, which take precedence.
    /// </remarks>
    public static IServiceCollection AddGatewayTracing(this IServiceCollection services, TracingOptions options, int adminPort)
    {
        if (!options.Enabled)
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new ServedRequestSampler(options.SampleRatio)))
                .AddAspNetCoreInstrumentation(aspNetCore =>
                {
                    aspNetCore.Filter = context => context.Connection.LocalPort != adminPort;
                    aspNetCore.EnrichWithHttpResponse = ServerSpan.Enrich;
                })
                .AddSource(ClientSource)
                .AddOtlpExporter(exporter =>
                {
                    exporter.Protocol = options.Protocol == TracingOptions.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    exporter.Endpoint = ExportEndpoint(options);
                }));
        return services;
    }

    /// <summary>
    /// The exporter's URL: the base URL for gRPC; with <c>/v1/traces</c> added for HTTP, as the SDK does for
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (a URL set in code is used as it is).
    /// </summary>
    internal static Uri ExportEndpoint(TracingOptions options)
    {
        var endpoint = new Uri(options.Endpoint!, UriKind.Absolute);
        return options.Protocol == TracingOptions.HttpProtobuf
            ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/traces", UriKind.Absolute)
            : endpoint;
    }
}
