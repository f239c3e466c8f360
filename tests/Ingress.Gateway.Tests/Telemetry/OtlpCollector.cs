using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Ingress.Gateway.Tests.Telemetry;

/// <summary>
/// A small OTLP trace receiver on Kestrel on loopback: <c>POST /v1/traces</c> (OTLP/HTTP, protobuf) or the gRPC
/// <c>TraceService/Export</c> (OTLP/gRPC, HTTP/2 without TLS), decoding each <see cref="ExportTraceServiceRequest"/>
/// with the official messages and keeping every span with its resource's <c>service.name</c>.
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private WebApplication? _app;
    private int _exports;

    /// <summary>The base URL to configure as the gateway's endpoint.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Every span received, in order of arrival.</summary>
    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    /// <summary>Export requests received (of either protocol).</summary>
    public int Exports => Volatile.Read(ref _exports);

    /// <summary>Starts a receiver of <paramref name="protocol"/>: <c>grpc</c> or <c>http/protobuf</c>.</summary>
    public static async Task<OtlpCollector> StartAsync(string protocol)
    {
        var grpc = protocol == "grpc";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.Protocols = grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var collector = new OtlpCollector();
        if (grpc)
        {
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(collector);
        }

        var app = collector._app = builder.Build();
        if (grpc)
        {
            app.MapGrpcService<Receiver>();
        }
        else
        {
            app.MapPost("/v1/traces", collector.ExportHttpAsync);
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        collector.Endpoint = address.TrimEnd('/');
        return collector;
    }

    /// <summary>The spans of one trace.</summary>
    public ReceivedSpan[] Trace(ByteString traceId) => [.. Spans.Where(s => s.Span.TraceId == traceId)];

    private async Task ExportHttpAsync(HttpContext context)
    {
        if (context.Request.ContentType != "application/x-protobuf")
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        Receive(ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray(), context.RequestAborted);
    }

    private void Receive(ExportTraceServiceRequest request)
    {
        Interlocked.Increment(ref _exports);
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue;
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    Spans.Enqueue(new ReceivedSpan(service, scope.Scope?.Name, span));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app!.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The gRPC service.</summary>
    private sealed class Receiver(OtlpCollector collector) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            collector.Receive(request);
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }
}

/// <summary>A span as received, with its resource's <c>service.name</c> and its instrumentation scope.</summary>
internal sealed record ReceivedSpan(string? ServiceName, string? Scope, Span Span)
{
    public string TraceId => Convert.ToHexStringLower(Span.TraceId.Span);

    public string SpanId => Convert.ToHexStringLower(Span.SpanId.Span);

    public string ParentSpanId => Convert.ToHexStringLower(Span.ParentSpanId.Span);

    /// <summary>An attribute's value as text (strings as they are, numbers and booleans formatted), or null.</summary>
    public string? Attribute(string key) => Span.Attributes.FirstOrDefault(a => a.Key == key)?.Value is { } value ? Text(value) : null;

    private static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public override string ToString() =>
        $"{Span.Kind} '{Span.Name}' trace {TraceId} span {SpanId} parent {ParentSpanId} [{string.Join(", ", Span.Attributes.Select(a => $"{a.Key}={Text(a.Value)}"))}]";
}
