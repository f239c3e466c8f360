using Ingress.Gateway.Discovery;
using Ingress.Gateway.Hosting;
using Ingress.Gateway.Reconciliation;

namespace Ingress.Gateway.Admin;

/// <summary>The JSON document served on <c>/api/state</c>: listeners, sources and every labelled service.</summary>
internal sealed record GatewayState(
    IReadOnlyList<int> EntryPorts,
    int AdminPort,
    long ConfigRevision,
    bool Ready,
    IReadOnlyList<DiscoverySourceStatus> Sources,
    IReadOnlyList<ServiceView> Services)
{
    public static GatewayState From(DiscoveryReconciler reconciler, long revision, GatewayOptions options)
    {
        var table = reconciler.Table;
        var services = new List<ServiceView>(table.Services.Length);
        foreach (var state in table.Services)
        {
            services.Add(new ServiceView(
                state.Service.Name,
                state.Service.Source,
                state.Status.ToString().ToLowerInvariant(),
                state.Entries,
                state.LoadBalancingPolicy,
                [.. state.Errors.Select(e => e.ToString())],
                state.Service.Labels,
                state.Service.Tasks));
        }

        return new GatewayState(options.EntryPorts, options.AdminPort, revision, reconciler.IsReady, reconciler.Sources, services);
    }
}

/// <summary>One labelled service as shown on <c>/api/state</c>.</summary>
internal sealed record ServiceView(
    string Name,
    string Source,
    string Status,
    IReadOnlyList<string> Routes,
    string? LoadBalancing,
    IReadOnlyList<string> Errors,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<SwarmTask> Tasks);
