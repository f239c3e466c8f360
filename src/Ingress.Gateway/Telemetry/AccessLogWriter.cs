using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// The optional structured access log: one JSON line per request on stdout, written by a background loop so the
/// request path only enqueues. When the queue is full, lines are dropped and counted rather than slowing requests.
/// Lines are written in batches of whatever queued up in the last 10 ms (at most 32 K characters per write).
/// </summary>
internal sealed class AccessLogWriter : BackgroundService
{
    private readonly Channel<AccessLogEntry> _queue = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private const int MaxBatchChars = 32 * 1024;
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(10);

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
        var batch = new StringBuilder(MaxBatchChars + 1024);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                // One write per batch rather than per line; the console logger shares the writer, so no line is split.
                while (reader.TryRead(out var entry))
                {
                    batch.AppendLine(JsonSerializer.Serialize(entry, AccessLogJsonContext.Default.AccessLogEntry));
                    if (batch.Length >= MaxBatchChars)
                    {
                        await WriteAsync(batch, stoppingToken);
                    }
                }

                await WriteAsync(batch, stoppingToken);

                // Lines queue up meanwhile. A request wakes this loop only when it finds it waiting, so pausing once the
                // queue is drained turns a wake-up (a context switch) per request into at most one per interval.
                await Task.Delay(BatchInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task WriteAsync(StringBuilder batch, CancellationToken cancellationToken)
    {
        if (batch.Length == 0)
        {
            return;
        }

        await _output.WriteAsync(batch, cancellationToken);
        await _output.FlushAsync(cancellationToken);
        batch.Clear();
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
