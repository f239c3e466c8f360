using System.Diagnostics;
using System.Globalization;
using Ingress.Gateway.Forwarding;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// Records every proxied request: Prometheus counters and the duration histogram, per-replica totals for the
/// dashboard, and the optional access log. Labels are bounded (entry port, service, a fixed method set, status code);
/// the path is never a label.
/// </summary>
internal sealed class RequestTelemetryMiddleware
{
    private static readonly string[] s_codes = BuildCodes();

    private readonly RequestDelegate _next;
    private readonly GatewayMetrics _metrics;
    private readonly ReplicaStats _replicas;
    private readonly AccessLogWriter? _accessLog;
    private readonly bool _requestMetrics;
    private readonly string[] _ports = new string[65536];

    public RequestTelemetryMiddleware(RequestDelegate next, GatewayMetrics metrics, ReplicaStats replicas, IOptions<TelemetryOptions> options, AccessLogWriter accessLog)
    {
        _next = next;
        _metrics = metrics;
        _replicas = replicas;
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
        var service = RetryMiddleware.ServiceName(proxy.Cluster.Config);
        var status = context.Response.StatusCode;
        var destination = proxy.ProxiedDestination;

        if (destination is not null)
        {
            _replicas.Record(destination, elapsed, status >= 500);
        }

        if (_requestMetrics)
        {
            var entry = EntryPoint(context.Connection.LocalPort);
            var seconds = elapsed / (double)Stopwatch.Frequency;
            _metrics.Requests.WithLabels([entry, service, Method(context.Request.Method), Code(status)]).Inc();
            _metrics.RequestDuration.WithLabels([entry, service]).Observe(seconds);
            if (destination is not null)
            {
                _metrics.BackendRequests.WithLabels([service, destination.DestinationId]).Inc();
            }
        }

        _accessLog?.Write(context, proxy, destination, status, elapsed);
    }

    private string EntryPoint(int port) =>
        _ports[port] ??= port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Known methods keep their name; anything else is "OTHER", so clients cannot mint label values.</summary>
    internal static string Method(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : "OTHER";

    internal static string Code(int status) => status is >= 100 and < 600 ? s_codes[status] : "other";

    private static string[] BuildCodes()
    {
        var codes = new string[600];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return codes;
    }
}
