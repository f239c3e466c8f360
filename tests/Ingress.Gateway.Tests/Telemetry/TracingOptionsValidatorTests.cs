using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Tests.Telemetry;

public sealed class TracingOptionsValidatorTests
{
    [Fact]
    public void Validate_NoEndpoint_SucceedsWhateverElseIsSet()
    {
        var options = new TracingOptions { Endpoint = "", Protocol = "thrift", SampleRatio = 7, ServiceName = "" };

        Assert.False(options.Enabled);
        Assert.True(new TracingOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("http://collector:4317", "grpc", 1.0)]
    [InlineData("https://collector.example:4318/", "http/protobuf", 0.0)]
    [InlineData("http://10.0.0.5:4318", "http/protobuf", 0.25)]
    public void Validate_GoodSettings_Succeeds(string endpoint, string protocol, double ratio)
    {
        var options = new TracingOptions { Endpoint = endpoint, Protocol = protocol, SampleRatio = ratio };

        Assert.True(options.Enabled);
        Assert.True(new TracingOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_EverySettingBad_FailsNamingEachKey()
    {
        var options = new TracingOptions { Endpoint = "collector:4317", Protocol = "http/json", SampleRatio = 1.5, ServiceName = " " };

        var result = new TracingOptionsValidator().Validate(null, options);

        Assert.Equal(
            [
                "Ingress:Telemetry:Tracing:Endpoint = 'collector:4317' must be an absolute http:// or https:// URL (the OTLP collector), or empty to turn tracing off.",
                "Ingress:Telemetry:Tracing:Protocol = 'http/json' must be 'grpc' or 'http/protobuf'.",
                "Ingress:Telemetry:Tracing:SampleRatio = 1.5 must be between 0 and 1.",
                "Ingress:Telemetry:Tracing:ServiceName must not be empty.",
            ],
            result.Failures);
    }

    [Theory]
    [InlineData("grpc", "http://collector:4317", "http://collector:4317/")]
    [InlineData("http/protobuf", "http://collector:4318", "http://collector:4318/v1/traces")]
    [InlineData("http/protobuf", "http://collector:4318/otlp/", "http://collector:4318/otlp/v1/traces")]
    public void ExportEndpoint_AddsTheTracesPathForHttpOnly(string protocol, string endpoint, string expected)
    {
        var options = new TracingOptions { Endpoint = endpoint, Protocol = protocol };

        Assert.Equal(expected, TracingServiceCollectionExtensions.ExportEndpoint(options).AbsoluteUri);
    }
}
