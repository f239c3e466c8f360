using System.Globalization;
using System.Runtime.CompilerServices;
using Ingress.Gateway.Schema;
using Prometheus;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// The Prometheus series a proxied request updates, resolved once per cluster, entry port, method and status code and
/// then reused. <c>WithLabels</c> hashes every label value and takes a reader lock on each call; after the first
/// request of each kind, the request path here is one weak-table lookup, a short array scan and array indexing.
/// </summary>
/// <remarks>
/// Keyed by YARP's <see cref="ClusterModel"/>, which is replaced on every config change of its cluster, so a stale
/// entry can never outlive the config it was built from; the weak table lets the old ones be collected.
/// </remarks>
internal sealed class RequestSeries(GatewayMetrics metrics)
{
    private readonly ConditionalWeakTable<ClusterModel, ClusterSeries> _clusters = [];
    private readonly ConditionalWeakTable<ClusterModel, ClusterSeries>.CreateValueCallback _create =
        cluster => new ClusterSeries(metrics, cluster.Config.ServiceName());

    /// <summary>The series of the requests of <paramref name="cluster"/>.</summary>
    public ClusterSeries For(ClusterModel cluster) =>
        _clusters.TryGetValue(cluster, out var series) ? series : _clusters.GetValue(cluster, _create);
}

/// <summary>The series of one cluster (one service), per entry port.</summary>
internal sealed class ClusterSeries(GatewayMetrics metrics, string service)
{
    private EntrySeries[] _entries = [];

    /// <summary>The service label value.</summary>
    public string Service { get; } = service;

    /// <summary>The series of requests that arrived on <paramref name="port"/>.</summary>
    public EntrySeries ForEntryPort(int port)
    {
        // A cluster is reached through one entry port, or a few for static routes: a linear scan beats hashing.
        var entries = Volatile.Read(ref _entries);
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].Port == port)
            {
                return entries[i];
            }
        }

        return AddEntryPort(port);
    }

    /// <summary>The <c>ingress_backend_requests_total</c> series of <paramref name="destination"/>.</summary>
    public Counter.Child BackendRequests(ReplicaStats.Totals totals, DestinationState destination)
    {
        // Cached on the replica's totals; a replica belongs to one cluster, so one slot is enough.
        return totals.BackendRequests ??= metrics.BackendRequests.WithLabels(Service, destination.DestinationId);
    }

    private EntrySeries AddEntryPort(int port)
    {
        var created = new EntrySeries(metrics, port, Service);
        while (true)
        {
            var entries = Volatile.Read(ref _entries);
            foreach (var existing in entries)
            {
                if (existing.Port == port)
                {
                    return existing;
                }
            }

            EntrySeries[] grown = [.. entries, created];
            if (Interlocked.CompareExchange(ref _entries, grown, entries) == entries)
            {
                return created;
            }
        }
    }
}

/// <summary>The series of one cluster's requests on one entry port.</summary>
internal sealed class EntrySeries
{
    /// <summary>Methods with their own label value, in <see cref="MethodIndex(Http1.RequestMethod)"/> order; anything else is "OTHER".</summary>
    internal static readonly string[] Methods =
        [HttpMethods.Get, HttpMethods.Post, HttpMethods.Head, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch, HttpMethods.Options, "OTHER"];

    private const int StatusClasses = 6; // 1xx..5xx, plus one slot for anything outside 100-599

    private static readonly string[] s_codes = BuildCodes();

    private readonly GatewayMetrics _metrics;
    private readonly string _entry;
    private readonly string _service;

    // [method * StatusClasses + class][status % 100], each inner array created on the first request that needs it.
    private readonly Counter.Child?[]?[] _requests = new Counter.Child?[]?[Methods.Length * StatusClasses];

    public EntrySeries(GatewayMetrics metrics, int port, string service)
    {
        _metrics = metrics;
        _service = service;
        Port = port;
        _entry = port.ToString(CultureInfo.InvariantCulture);
        Duration = metrics.RequestDuration.WithLabels(_entry, service);
    }

    /// <summary>The entry port these series count.</summary>
    public int Port { get; }

    /// <summary>The <c>ingress_request_duration_seconds</c> series.</summary>
    public Histogram.Child Duration { get; }

    /// <summary>The <c>ingress_requests_total</c> series for a method (its <see cref="MethodIndex(string)"/>) and status code.</summary>
    public Counter.Child Requests(int methodIndex, int status)
    {
        var statusClass = status is >= 100 and < 600 ? status / 100 : 0;
        var slot = methodIndex * StatusClasses + statusClass;
        var codes = Volatile.Read(ref _requests[slot]);
        if (codes is null)
        {
            Interlocked.CompareExchange(ref _requests[slot], new Counter.Child?[100], null);
            codes = Volatile.Read(ref _requests[slot])!;
        }

        // Out-of-range codes share one label value, "other", and so one slot.
        var index = statusClass == 0 ? 0 : status % 100;
        return codes[index] ??= _metrics.Requests.WithLabels(_entry, _service, Methods[methodIndex], Code(status));
    }

    /// <summary>Known methods keep their name; anything else is "OTHER", so clients cannot mint label values.</summary>
    internal static int MethodIndex(Http1.RequestMethod method) => method switch
    {
        Http1.RequestMethod.Get => 0,
        Http1.RequestMethod.Post => 1,
        Http1.RequestMethod.Head => 2,
        Http1.RequestMethod.Put => 3,
        Http1.RequestMethod.Delete => 4,
        Http1.RequestMethod.Patch => 5,
        Http1.RequestMethod.Options => 6,
        _ => 7,
    };

    /// <inheritdoc cref="MethodIndex(Http1.RequestMethod)"/>
    internal static int MethodIndex(string method) =>
        HttpMethods.IsGet(method) ? 0
        : HttpMethods.IsPost(method) ? 1
        : HttpMethods.IsHead(method) ? 2
        : HttpMethods.IsPut(method) ? 3
        : HttpMethods.IsDelete(method) ? 4
        : HttpMethods.IsPatch(method) ? 5
        : HttpMethods.IsOptions(method) ? 6
        : 7;

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
