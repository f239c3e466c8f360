using System.Collections.Immutable;
using Ingress.Gateway.Discovery.Docker.Engine;
using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Discovery.Docker;

/// <summary>
/// The pure mapping from the Docker API's services and tasks to the snapshot records routing reads: which tasks count,
/// and which of a task's addresses the gateway can reach.
/// </summary>
internal static class SwarmServiceMapping
{
    /// <summary>Each service with its running tasks and only its <c>ingress.*</c> labels, sorted by name.</summary>
    public static ImmutableArray<SwarmService> MapServices(
        IEnumerable<EngineService> services,
        IEnumerable<EngineTask> tasks,
        IReadOnlySet<string>? gatewayNetworks,
        IReadOnlyList<string> configuredNetworks)
    {
        var tasksByService = tasks
            .Where(t => t.ServiceId is not null && t.DesiredState == EngineTaskStates.Running && t.Status?.State == EngineTaskStates.Running)
            .GroupBy(t => t.ServiceId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var result = ImmutableArray.CreateBuilder<SwarmService>();
        foreach (var service in services)
        {
            if (service.Spec?.Labels is null)
            {
                continue;
            }

            var labels = service.Spec.Labels
                .Where(l => IngressLabels.IsIngressLabel(l.Key))
                .ToImmutableSortedDictionary(l => l.Key, l => l.Value ?? string.Empty, StringComparer.Ordinal);
            var wanted = labels.GetValueOrDefault(IngressLabels.Network);

            var mapped = ImmutableArray.CreateBuilder<SwarmTask>();
            foreach (var task in tasksByService.GetValueOrDefault(service.Id) ?? [])
            {
                if (PickAddress(task, wanted, gatewayNetworks, configuredNetworks) is { } address)
                {
                    // A global service's tasks have no slot: 0, as the record documents.
                    var containerId = task.Status?.ContainerStatus?.ContainerId is { Length: > 0 } id ? id : null;
                    mapped.Add(new SwarmTask(task.Id, address, (int)(task.Slot ?? 0), task.NodeId, containerId, EngineTaskStates.Running));
                }
            }

            result.Add(new SwarmService(
                service.Id,
                service.Spec.Name ?? service.Id,
                labels,
                [.. mapped.OrderBy(t => t.Slot).ThenBy(t => t.Id, StringComparer.Ordinal)],
                service.CreatedAt?.ToUniversalTime() ?? default,
                DockerSwarmSource.SourceName));
        }

        return [.. result.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The task's address on a network the gateway can reach: the <c>ingress.network</c> label's network, else one the
    /// gateway's container shares, else the first non-ingress network. Null when none qualifies.
    /// </summary>
    public static string? PickAddress(EngineTask task, string? wanted, IReadOnlySet<string>? gatewayNetworks, IReadOnlyList<string> configuredNetworks)
    {
        if (task.NetworksAttachments is null)
        {
            return null;
        }

        string? fallback = null;
        foreach (var attachment in task.NetworksAttachments)
        {
            var network = attachment.Network;
            if (network?.Spec is null || network.Spec.Ingress == true || attachment.Addresses is not { Count: > 0 })
            {
                continue;
            }

            var name = network.Spec.Name ?? string.Empty;
            if (wanted is not null)
            {
                if (NameMatches(name, wanted))
                {
                    return StripPrefix(attachment.Addresses[0]);
                }

                continue;
            }

            if (configuredNetworks.Count > 0)
            {
                if (configuredNetworks.Any(n => NameMatches(name, n)))
                {
                    return StripPrefix(attachment.Addresses[0]);
                }

                continue;
            }

            if (gatewayNetworks is not null && (gatewayNetworks.Contains(network.Id) || gatewayNetworks.Contains(name)))
            {
                return StripPrefix(attachment.Addresses[0]);
            }

            fallback ??= gatewayNetworks is null ? attachment.Addresses[0] : null;
        }

        return fallback is null ? null : StripPrefix(fallback);
    }

    // Stack deploys prefix network names with the stack name: "backend" in stack.yml is "ingress_backend".
    private static bool NameMatches(string actual, string wanted) =>
        string.Equals(actual, wanted, StringComparison.Ordinal)
        || (actual.Length > wanted.Length + 1 && actual.EndsWith(wanted, StringComparison.Ordinal) && actual[^(wanted.Length + 1)] == '_');

    private static string StripPrefix(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? cidr : cidr[..slash];
    }
}
