using Ingress.Gateway.Resilience;
using Ingress.Gateway.Schema;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using Prometheus;
using Yarp.ReverseProxy;

namespace Ingress.Gateway.Admin;

/// <summary>
/// Work done at scrape time rather than per request: <c>ingress_backend_up</c> from YARP's health state, removal of
/// series for replicas that are gone (so task churn cannot grow the exposition forever), and the runtime and Kestrel
/// meters.
/// </summary>
internal sealed class ScrapeTimeCollector(GatewayMetrics metrics, IProxyStateLookup proxyState, IOptions<TelemetryOptions> options) : IHostedService
{
    private readonly Lock _gate = new();
    private HashSet<(string Service, string Destination)> _exported = [];
    private IDisposable? _meters;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.Registry.AddBeforeCollectCallback(Collect);
        if (options.Value.RuntimeMetrics)
        {
            _meters = MeterAdapter.StartListening(new MeterAdapterOptions
            {
                Registry = metrics.Registry,
                MetricFactory = Metrics.WithCustomRegistry(metrics.Registry),
                // Observable runtime gauges and per-connection Kestrel instruments only: the per-request hosting
                // histogram would duplicate ingress_request_duration_seconds at a cost on every request.
                // MeterAdapter names each gauge after its instrument, and a gauge ending in _count breaks Prometheus'
                // naming rules (promtool check metrics rejects the whole exposition), so the five *.count runtime
                // instruments (assemblies, timers, CPUs, thread pool threads and work items) are left out.
                InstrumentFilterPredicate = instrument =>
                    instrument.Meter.Name is "System.Runtime" or "Microsoft.AspNetCore.Server.Kestrel"
                    && !instrument.Name.EndsWith(".count", StringComparison.Ordinal),
            });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _meters?.Dispose();
        return Task.CompletedTask;
    }

    internal void Collect()
    {
        lock (_gate)
        {
            var current = new HashSet<(string, string)>();
            foreach (var cluster in proxyState.GetClusters())
            {
                var service = cluster.Model.Config.ServiceName();
                foreach (var destination in cluster.Destinations.Values)
                {
                    var up = DestinationRotation.IsInRotation(cluster, destination);
                    metrics.BackendUp.WithLabels(service, destination.DestinationId).Set(up ? 1 : 0);
                    current.Add((service, destination.DestinationId));
                }
            }

            foreach (var (service, destination) in _exported)
            {
                if (!current.Contains((service, destination)))
                {
                    metrics.BackendUp.RemoveLabelled(service, destination);
                    metrics.BackendRequests.RemoveLabelled(service, destination);
                }
            }

            _exported = current;
        }
    }
}
