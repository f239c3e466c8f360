using System.Diagnostics;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// Records every proxied request: Prometheus counters and the duration histogram, per-replica totals for the
/// dashboard, and the optional access log. Labels are bounded (entry port, service, a fixed method set, status code);
/// the path is never a label.
/// </summary>
/// <remarks>
/// The series are resolved through <see cref="RequestSeries"/>, so a request costs a few interlocked adds and no
/// allocation, label hashing or lock.
/// </remarks>
internal sealed class RequestTelemetryMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ReplicaStats _replicas;
    private readonly RequestSeries _series;
    private readonly AccessLogWriter? _accessLog;
    private readonly bool _requestMetrics;

    public RequestTelemetryMiddleware(RequestDelegate next, GatewayMetrics metrics, ReplicaStats replicas, IOptions<TelemetryOptions> options, AccessLogWriter accessLog)
    {
        _next = next;
        _replicas = replicas;
        _series = new RequestSeries(metrics);
        _requestMetrics = options.Value.RequestMetrics;
        _accessLog = options.Value.AccessLog ? accessLog : null;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _next(context);
        }
        finally
        {
            Record(context, Stopwatch.GetTimestamp() - started);
        }
    }

    private void Record(HttpContext context, long elapsed)
    {
        var proxy = context.GetReverseProxyFeature();
        var status = context.Response.StatusCode;
        var destination = proxy.ProxiedDestination;
        var totals = destination is null ? null : _replicas.For(destination);
        totals?.Record(elapsed, status >= 500);

        if (_requestMetrics)
        {
            var cluster = _series.For(proxy.Cluster);
            var entry = cluster.ForEntryPort(context.Connection.LocalPort);
            entry.Requests(context.Request.Method, status).Inc();
            entry.Duration.Observe(elapsed / (double)Stopwatch.Frequency);
            if (totals is not null)
            {
                cluster.BackendRequests(totals, destination!).Inc();
            }
        }

        _accessLog?.Write(context, proxy, destination, status, elapsed);
    }
}
