namespace Ingress.Gateway.Telemetry;

/// <summary>Set on a request only when it was retried, so telemetry can report retries without a per-request allocation.</summary>
internal sealed class RetryCountFeature
{
    public int Retries { get; set; }
}
