using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// Records one proxied request, whichever path forwarded it (the relay or the YARP pipeline): the Prometheus counters
/// and duration histogram, the per-replica totals behind the dashboard, and the optional access log line.
/// </summary>
/// <remarks>
/// The series are resolved through <see cref="RequestSeries"/>, so a request costs a few interlocked adds and no
/// allocation, label hashing or lock. Labels are bounded: entry port, service, a fixed method set, status code.
/// </remarks>
internal sealed class RequestRecorder
{
    private readonly ReplicaStats _replicas;
    private readonly RequestSeries _series;
    private readonly AccessLogWriter _accessLog;
    private readonly bool _requestMetrics;

    public RequestRecorder(GatewayMetrics metrics, ReplicaStats replicas, IOptions<TelemetryOptions> options, AccessLogWriter accessLog)
    {
        _replicas = replicas;
        _series = new RequestSeries(metrics);
        _requestMetrics = options.Value.RequestMetrics;
        _accessLog = accessLog;
        AccessLogEnabled = options.Value.AccessLog;
    }

    /// <summary>Whether access log lines are wanted (build them only then: they allocate).</summary>
    public bool AccessLogEnabled { get; }

    /// <summary>Records a request to <paramref name="cluster"/> that arrived on <paramref name="entryPort"/> and ended with <paramref name="status"/>.</summary>
    /// <param name="cluster">The cluster the request was routed to.</param>
    /// <param name="entryPort">The published port the request arrived on.</param>
    /// <param name="methodIndex">The method's label slot (<see cref="EntrySeries.MethodIndex(Http1.RequestMethod)"/>).</param>
    /// <param name="status">The status code sent to the client.</param>
    /// <param name="destination">The replica that answered, or null when none was reached.</param>
    /// <param name="elapsedTicks">The request's duration in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
    public void Record(ClusterModel cluster, int entryPort, int methodIndex, int status, DestinationState? destination, long elapsedTicks)
    {
        var totals = destination is null ? null : _replicas.For(destination);
        totals?.Record(elapsedTicks, status >= 500);
        if (!_requestMetrics)
        {
            return;
        }

        var series = _series.For(cluster);
        var entry = series.ForEntryPort(entryPort);
        entry.Requests(methodIndex, status).Inc();
        entry.Duration.Observe(elapsedTicks / (double)System.Diagnostics.Stopwatch.Frequency);
        if (totals is not null)
        {
            series.BackendRequests(totals, destination!).Inc();
        }
    }

    /// <summary>Queues an access log line (only call when <see cref="AccessLogEnabled"/>).</summary>
    public void WriteAccessLog(AccessLogEntry entry) => _accessLog.Write(entry);
}
