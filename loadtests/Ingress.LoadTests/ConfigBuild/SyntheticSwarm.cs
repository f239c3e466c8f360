using System.Collections.Immutable;
using System.Globalization;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Schema;

namespace Ingress.LoadTests.ConfigBuild;

/// <summary>A made-up swarm of labelled services, shaped like a large real one, for timing the config build.</summary>
internal static class SyntheticSwarm
{
    /// <summary>
    /// <paramref name="services"/> services of <paramref name="tasks"/> tasks each. Half route by host name, a quarter
    /// by host and path, a quarter by path alone (or all by host name, with <paramref name="hostsOnly"/>); every fifth has
    /// an active health check and every seventh a timeout.
    /// Every task points at <paramref name="address"/>:<paramref name="targetPort"/>, so a request to any of them works.
    /// </summary>
    /// <param name="generation">Above 0, one task of the first service is replaced, as a rolling update would.</param>
    /// <param name="hostsOnly">Every service routes by host name alone (no path rules).</param>
    public static ImmutableArray<SwarmService> Create(int services, int tasks, string address, int targetPort, int generation = 0, bool hostsOnly = false)
    {
        var created = DateTimeOffset.UnixEpoch;
        var result = ImmutableArray.CreateBuilder<SwarmService>(services);
        for (var s = 0; s < services; s++)
        {
            var name = ServiceName(s);
            var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            labels[IngressLabels.Port] = targetPort.ToString(CultureInfo.InvariantCulture);
            switch (hostsOnly ? 0 : s % 4)
            {
                case 0 or 1:
                    labels[IngressLabels.Host] = HostName(s);
                    break;
                case 2:
                    labels[IngressLabels.Host] = HostName(s);
                    labels[IngressLabels.Path] = "/api";
                    break;
                default:
                    labels[IngressLabels.Path] = "/" + name;
                    break;
            }

            if (s % 5 == 0)
            {
                labels[IngressLabels.HealthCheckPath] = "/healthz";
            }

            if (s % 7 == 0)
            {
                labels[IngressLabels.Timeout] = "30s";
            }

            var taskList = ImmutableArray.CreateBuilder<SwarmTask>(tasks);
            for (var t = 0; t < tasks; t++)
            {
                var id = s == 0 && t == 0 && generation > 0 ? $"task-{s}-{t}-g{generation}" : $"task-{s}-{t}";
                taskList.Add(new SwarmTask(id, address, t + 1, "node-1", "container-" + id, "running"));
            }

            result.Add(new SwarmService("id-" + name, name, labels.ToImmutable(), taskList.MoveToImmutable(), created.AddSeconds(s), DockerSourceName));
        }

        return result.MoveToImmutable();
    }

    /// <summary>The discovery source the snapshots claim to come from.</summary>
    public const string DockerSourceName = "docker";

    public static string ServiceName(int index) => "svc-" + index.ToString("D5", CultureInfo.InvariantCulture);

    public static string HostName(int index) => ServiceName(index) + ".example.test";
}
