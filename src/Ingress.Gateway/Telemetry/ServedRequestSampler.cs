using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// Decides for a new trace (one with no parent): a request the gateway serves is recorded at the configured ratio; a
/// call of the gateway's own that no request made (ACME, the control channel) starts no trace.
/// </summary>
/// <remarks>The root sampler of a <see cref="ParentBasedSampler"/>: a span with a parent follows its parent's decision.</remarks>
internal sealed class ServedRequestSampler(double ratio) : Sampler
{
    private readonly TraceIdRatioBasedSampler _ratio = new(ratio);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Client ? new SamplingResult(SamplingDecision.Drop) : _ratio.ShouldSample(samplingParameters);
}
