using System.Diagnostics;
using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// Records every proxied request: Prometheus counters and the duration histogram, per-replica totals for the
/// dashboard, and the optional access log. Labels are bounded (entry port, service, a fixed method set, status code);
/// the path is never a label.
/// </summary>
internal sealed class RequestTelemetryMiddleware(RequestDelegate next, RequestRecorder recorder)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
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
        recorder.Record(proxy.Cluster, context.Connection.LocalPort, EntrySeries.MethodIndex(context.Request.Method), status, destination, elapsed);
        if (recorder.AccessLogEnabled)
        {
            recorder.WriteAccessLog(AccessLogWriter.Entry(context, proxy, destination, status, elapsed));
        }
    }
}
