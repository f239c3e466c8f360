namespace Ingress.Gateway.Telemetry;

/// <summary>What the gateway records per request (<c>Ingress:Telemetry</c>).</summary>
/// <remarks>
/// Defaults: request metrics on; the structured access log off; .NET runtime and Kestrel meters exported.
/// </remarks>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Telemetry";

    /// <summary>Per-request Prometheus metrics (<c>ingress_requests_total</c>, durations, per-replica counts).</summary>
    public bool RequestMetrics { get; set; } = true;

    /// <summary>One JSON line per request on stdout: route, destination, status, duration and retries.</summary>
    public bool AccessLog { get; set; }

    /// <summary>Export the <c>System.Runtime</c> and Kestrel meters on <c>/metrics</c>.</summary>
    public bool RuntimeMetrics { get; set; } = true;
}
