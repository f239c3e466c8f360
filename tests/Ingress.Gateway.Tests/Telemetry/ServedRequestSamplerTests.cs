using System.Diagnostics;
using Ingress.Gateway.Telemetry;
using OpenTelemetry.Trace;

namespace Ingress.Gateway.Tests.Telemetry;

public sealed class ServedRequestSamplerTests
{
    [Theory]
    [InlineData(ActivityKind.Server, 1.0, SamplingDecision.RecordAndSample)]
    [InlineData(ActivityKind.Server, 0.0, SamplingDecision.Drop)]
    [InlineData(ActivityKind.Client, 1.0, SamplingDecision.Drop)]
    public void ShouldSample_NewTrace_RecordsServedRequestsAtTheRatio_AndNoCallOfItsOwn(ActivityKind kind, double ratio, SamplingDecision expected)
    {
        var parameters = new SamplingParameters(default, ActivityTraceId.CreateRandom(), "GET", kind);

        Assert.Equal(expected, new ServedRequestSampler(ratio).ShouldSample(parameters).Decision);
    }
}
