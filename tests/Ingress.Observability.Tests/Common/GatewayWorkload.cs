using static Ingress.Observability.Tests.Common.Swarm;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// Drives a real gateway through what production metrics should show: a routed service with one dead replica (so
/// requests are retried), a service with no task (answered 503), an invalid service, a discovery outage and recovery,
/// and traffic through the entry port.
/// </summary>
internal static class GatewayWorkload
{
    /// <summary>Requests sent to <c>web</c>, each answered 200 (retried off the dead replica when needed).</summary>
    public const int WebRequests = 30;

    /// <summary>Runs the workload; <paramref name="farm"/> needs three addresses.</summary>
    public static async Task RunAsync(GatewayTestHost gateway, ReplicaFarm farm)
    {
        // Nothing listens on this loopback address: connections are refused at once, as for a task that just died.
        const string deadReplica = "127.0.9.1";
        var entry = gateway.EntryPorts[0];
        var services = new[]
        {
            Service("web", Labels($"ingress.publish={entry}:{farm.Port}"),
                [Replica("web", 1, deadReplica), .. farm.Addresses.Take(3).Select((a, i) => Replica("web", i + 2, a))]),
            Service("empty", Labels("ingress.host=empty.test", $"ingress.port={farm.Port}"), []),
            Service("broken", Labels("ingress.lb=fastest", $"ingress.publish={entry}:{farm.Port}"), [Replica("broken", 1, farm.Addresses[0])]),
        };

        gateway.Sink.Publish(Snapshot(services));
        gateway.Sink.ReportFailure("docker", "connection refused (workload outage)");
        gateway.Sink.Publish(Snapshot(services));

        await Traffic.SendAsync(gateway.Public, $"127.0.0.1:{entry}", WebRequests);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "empty.test";
        using var unavailable = await gateway.Public.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
    }
}
