namespace Ingress.Gateway.Telemetry;

/// <summary>OpenTelemetry tracing (<c>Ingress:Telemetry:Tracing</c>): spans exported over OTLP.</summary>
/// <remarks>
/// Defaults: off (no <see cref="Endpoint"/>); when on, OTLP over gRPC, every trace sampled unless the caller's
/// <c>traceparent</c> says otherwise, service name <c>ingress</c>. While off, no <c>ActivityListener</c> is registered,
/// no span is created, the relay serves what it always served, and a client's <c>traceparent</c> passes to the replica
/// unchanged.
/// </remarks>
public sealed class TracingOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Telemetry:Tracing";

    /// <summary>The <c>grpc</c> protocol (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>'s spelling).</summary>
    public const string Grpc = "grpc";

    /// <summary>The <c>http/protobuf</c> protocol (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>'s spelling).</summary>
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>
    /// The collector's base URL, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> gives it (<c>http://collector:4317</c> for gRPC,
    /// <c>http://collector:4318</c> for HTTP, to which <c>/v1/traces</c> is added). Empty: tracing is off.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary><see cref="Grpc"/> or <see cref="HttpProtobuf"/>.</summary>
    public string Protocol { get; set; } = Grpc;

    /// <summary>
    /// The share of new traces recorded, 0 to 1 (a parent-based ratio sampler: a request whose <c>traceparent</c>
    /// carries a sampling decision keeps it).
    /// </summary>
    public double SampleRatio { get; set; } = 1.0;

    /// <summary>The <c>service.name</c> resource attribute of every span.</summary>
    public string ServiceName { get; set; } = "ingress";

    /// <summary>Tracing is on: an endpoint is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);
}
