using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// The optional structured access log: one JSON line per request on stdout, written by a background loop so the
/// request path only enqueues. When the queue is full, lines are dropped and counted rather than slowing requests.
/// Lines are written in batches of whatever queued up in the last 10 ms (at most 32 K characters per write). If stdout
/// fails (a closed pipe), the lines are counted as dropped and the gateway goes on serving.
/// </summary>
internal sealed partial class AccessLogWriter : BackgroundService
{
    private readonly Channel<AccessLogEntry> _queue = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private const int MaxBatchChars = 32 * 1024;
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(10);

    private readonly GatewayMetrics _metrics;
    private readonly TextWriter _output;
    private readonly ILogger _logger;
    private int _batchLines;
    private bool _outputFailed;

    public AccessLogWriter(GatewayMetrics metrics, ILogger<AccessLogWriter> logger)
        : this(metrics, Console.Out, logger)
    {
    }

    internal AccessLogWriter(GatewayMetrics metrics, TextWriter output, ILogger? logger = null)
    {
        _metrics = metrics;
        _output = output;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The line for a request the YARP pipeline forwarded.</summary>
    public static AccessLogEntry Entry(HttpContext context, IReverseProxyFeature proxy, DestinationState? destination, int status, long elapsedTicks) =>
        AccessLogEntry.For(
            context.Connection.LocalPort,
            proxy.Route.Config.RouteId,
            proxy.Cluster,
            destination,
            context.Request.Method,
            context.Request.Path.Value ?? "/",
            status,
            elapsedTicks,
            context.Features.Get<RetryCountFeature>()?.Retries ?? 0,
            context.Connection.RemoteIpAddress?.ToString());

    /// <summary>Milliseconds, to the microsecond, from <see cref="Stopwatch"/> ticks.</summary>
    public static double DurationMs(long elapsedTicks) => Math.Round(elapsedTicks * 1000d / Stopwatch.Frequency, 3);

    /// <summary>Queues <paramref name="entry"/>; drops and counts it when the queue is full.</summary>
    public void Write(AccessLogEntry entry)
    {
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
                    Append(batch, entry);
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
            // Stopping: the lines of the last requests are written rather than lost.
            while (reader.TryRead(out var entry))
            {
                Append(batch, entry);
            }

            await WriteAsync(batch, CancellationToken.None);
        }
    }

    [LoggerMessage(600, LogLevel.Error, "The access log cannot write to stdout; its lines are dropped and counted in ingress_access_log_dropped_total.")]
    private partial void LogOutputFailed(Exception exception);

    private void Append(StringBuilder batch, AccessLogEntry entry)
    {
        batch.AppendLine(JsonSerializer.Serialize(entry, AccessLogJsonContext.Default.AccessLogEntry));
        _batchLines++;
    }

    private async Task WriteAsync(StringBuilder batch, CancellationToken cancellationToken)
    {
        if (batch.Length == 0)
        {
            return;
        }

        try
        {
            await _output.WriteAsync(batch, cancellationToken);
            await _output.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _metrics.AccessLogDropped.Inc(_batchLines);
            if (!_outputFailed)
            {
                _outputFailed = true;
                LogOutputFailed(ex);
            }
        }

        batch.Clear();
        _batchLines = 0;
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
    string? Client)
{
    /// <summary>The line for one request, from either path: what each field is made of lives here only.</summary>
    public static AccessLogEntry For(
        int entryPort, string routeId, ClusterModel cluster, DestinationState? destination, string method, string path,
        int status, long elapsedTicks, int retries, string? client) => new(
        DateTimeOffset.UtcNow,
        entryPort,
        routeId,
        cluster.Config.ServiceName(),
        destination?.DestinationId,
        destination?.Model.Config.Address,
        method,
        path,
        status,
        AccessLogWriter.DurationMs(elapsedTicks),
        retries,
        client);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AccessLogEntry))]
internal sealed partial class AccessLogJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
