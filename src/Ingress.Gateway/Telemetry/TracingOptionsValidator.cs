using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Telemetry;

/// <summary>Fails start-up on tracing settings the exporter could not run with, naming each key.</summary>
internal sealed class TracingOptionsValidator : IValidateOptions<TracingOptions>
{
    public ValidateOptionsResult Validate(string? name, TracingOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            failures.Add($"{TracingOptions.SectionName}:{nameof(TracingOptions.Endpoint)} = '{options.Endpoint}' must be an absolute http:// or https:// URL (the OTLP collector), or empty to turn tracing off.");
        }

        if (options.Protocol is not (TracingOptions.Grpc or TracingOptions.HttpProtobuf))
        {
            failures.Add($"{TracingOptions.SectionName}:{nameof(TracingOptions.Protocol)} = '{options.Protocol}' must be '{TracingOptions.Grpc}' or '{TracingOptions.HttpProtobuf}'.");
        }

        if (options.SampleRatio is < 0 or > 1 || double.IsNaN(options.SampleRatio))
        {
            failures.Add($"{TracingOptions.SectionName}:{nameof(TracingOptions.SampleRatio)} = {options.SampleRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be between 0 and 1.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            failures.Add($"{TracingOptions.SectionName}:{nameof(TracingOptions.ServiceName)} must not be empty.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
