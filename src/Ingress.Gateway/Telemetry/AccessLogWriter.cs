using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// The optional structured access log: one JSON line per request on stdout, written by a background loop so the
/// request path only enqueues. When the queue is full, lines are dropped and counted rather than slowing requests.
/// </summary>
internal sealed class AccessLogWriter : BackgroundService
{
    private readonly Channel<AccessLogEntry> _queue = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private readonly GatewayMetrics _metrics;
    private readonly TextWriter _output;

    public AccessLogWriter(GatewayMetrics metrics)
        : this(metrics, Console.Out)
    {
    }

    internal AccessLogWriter(GatewayMetrics metrics, TextWriter output)
    {
        _metrics = metrics;
        _output = output;
    }

    public void Write(HttpContext context, IReverseProxyFeature proxy, DestinationState? destination, int status, long elapsedTicks)
    {
        var entry = new AccessLogEntry(
            DateTimeOffset.UtcNow,
            context.Connection.LocalPort,
            proxy.Route.Config.RouteId,
            Forwarding.RetryMiddleware.ServiceName(proxy.Cluster.Config),
            destination?.DestinationId,
            destination?.Model.Config.Address,
            context.Request.Method,
            context.Request.Path.Value ?? "/",
            status,
            Math.Round(elapsedTicks * 1000d / Stopwatch.Frequency, 3),
            context.Features.Get<RetryCountFeature>()?.Retries ?? 0,
            context.Connection.RemoteIpAddress?.ToString());
        if (!_queue.Writer.TryWrite(entry))
        {
            _metrics.AccessLogDropped.Inc();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (reader.TryRead(out var entry))
                {
                    await _output.WriteLineAsync(JsonSerializer.Serialize(entry, AccessLogJsonContext.Default.AccessLogEntry));
                }

                await _output.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}

/// <summary>One access log line.</summary>
internal sealed record AccessLogEntry(
    DateTimeOffset Time,
    int EntryPoint,
    string Route,
    string Service,
    string? Destination,
    string? DestinationAddress,
    string Method,
    string Path,
    int Status,
    double DurationMs,
    int Retries,
    string? Client);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AccessLogEntry))]
internal sealed partial class AccessLogJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
