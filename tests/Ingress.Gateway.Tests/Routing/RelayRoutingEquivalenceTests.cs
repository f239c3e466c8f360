using System.Globalization;
using System.Text;
using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>
/// The relay must route every request exactly as ASP.NET Core routing does in the YARP pipeline. Each case builds a
/// random mix of static routes (hosts, wildcards, path prefixes, orders) and discovered services, gives it to two real
/// gateways, one with the relay and one without, and sends both the same requests: the same route must answer (or the
/// same error status), request for request. The reference gateway leaves every choice to ASP.NET Core's matcher.
/// </summary>
public sealed class RelayRoutingEquivalenceTests
{
    private static readonly string[] s_hostPatterns = ["a.test", "b.test", "*.test", "*.b.test", "A.TEST", "*.c.b.test", "*.TEST", "c.b.test"];
    private static readonly string[] s_paths = ["/{**c}", "/x/{**c}", "/x/y/{**c}", "/X/{**c}", "/z/{**c}", "{**c}"];
    private static readonly string[] s_requestHosts = ["a.test", "b.test", "c.b.test", "x.test", "B.TEST", "test", "d.c.b.test"];
    private static readonly string[] s_requestPaths = ["/", "/x", "/x/", "/x/y", "/x/y/z", "/X/Y", "/z/1", "/zz", "/xy", "/x/yz"];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task RandomRoutes_RelayAndYarpPipeline_PickTheSameRouteForEveryRequest(int seed)
    {
        await CompareWithAspNetCoreRoutingAsync(seed, relay: true);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task RandomRoutes_EndpointSelectorAndAspNetCoreMatcher_PickTheSameRouteForEveryRequest(int seed)
    {
        // With the relay off, Kestrel serves every request and the endpoint selector picks YARP's endpoint from the
        // snapshot; the reference leaves every choice to ASP.NET Core's matcher.
        await CompareWithAspNetCoreRoutingAsync(seed, relay: false);
    }

    private static async Task CompareWithAspNetCoreRoutingAsync(int seed, bool relay)
    {
        var random = new Random(seed);
        await using var backend = await AddressEchoBackend.StartAsync(firstHost: 40, count: 24);
        var settings = new Dictionary<string, string?>();
        var staticRoutes = random.Next(1, 7);
        for (var i = 0; i < staticRoutes; i++)
        {
            var route = $"ReverseProxy:Routes:r{i}";
            settings[$"{route}:ClusterId"] = $"c{i}";
            settings[$"{route}:Match:Path"] = Pick(random, s_paths);
            var hosts = random.Next(0, 3);
            for (var h = 0; h < hosts; h++)
            {
                settings[$"{route}:Match:Hosts:{h}"] = Pick(random, s_hostPatterns);
            }

            if (random.Next(4) == 0)
            {
                settings[$"{route}:Order"] = Pick(random, ["-1", "1"]);
            }

            settings[$"ReverseProxy:Clusters:c{i}:Destinations:d:Address"] = $"http://{backend.Addresses[i]}:{backend.Port}/";
        }

        var testedSettings = new Dictionary<string, string?>(settings) { ["Ingress:Transport:Relay"] = relay ? "true" : "false" };
        await using var tested = await GatewayTestHost.StartAsync(testedSettings);
        await using var yarp = await ReferenceGateway.StartAsync(settings);

        var services = Services(random, backend, tested.EntryPorts[0], yarp.EntryPorts[0]);
        tested.Sink.Publish(Snapshot("docker", [.. services.Select(s => s.ForRelay)]));
        yarp.Sink.Publish(Snapshot("docker", [.. services.Select(s => s.ForYarp)]));

        var checkedRequests = 0;
        foreach (var host in s_requestHosts)
        {
            foreach (var path in s_requestPaths)
            {
                var expected = await SendAsync(yarp.Public, host, path);
                var actual = await SendAsync(tested.Public, host, path);
                Assert.True(expected == actual, $"seed {seed}: {host}{path}: ASP.NET Core's matcher chose {expected}, the {(relay ? "relay" : "endpoint selector")} {actual}. Routes: {Describe(settings, services)}");
                checkedRequests++;
            }
        }

        Assert.Equal(s_requestHosts.Length * s_requestPaths.Length, checkedRequests);
    }

    [Fact]
    public async Task RandomRoutes_MostRequestsAreRelayedRatherThanHandedOff()
    {
        // Without this, the equivalence above could hold because the relay handed every request to Kestrel.
        await using var backend = await AddressEchoBackend.StartAsync(firstHost: 70, count: 4);
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:api:ClusterId"] = "api",
            ["ReverseProxy:Routes:api:Match:Path"] = "/api/{**c}",
            ["ReverseProxy:Routes:api:Match:Hosts:0"] = "*.test",
            ["ReverseProxy:Clusters:api:Destinations:d:Address"] = $"http://{backend.Addresses[0]}:{backend.Port}/",
            ["ReverseProxy:Routes:web:ClusterId"] = "web",
            ["ReverseProxy:Routes:web:Match:Path"] = "{**c}",
            ["ReverseProxy:Clusters:web:Destinations:d:Address"] = $"http://{backend.Addresses[1]}:{backend.Port}/",
        };
        await using var gateway = await GatewayTestHost.StartAsync(settings);

        foreach (var host in s_requestHosts)
        {
            foreach (var path in new[] { "/", "/api", "/api/x", "/apix" })
            {
                using var client = GatewayTestHost.ClientFor(gateway.EntryPorts[0]);
                Assert.Equal(path.StartsWith("/api", StringComparison.Ordinal) && path != "/apix" && host.EndsWith(".test", StringComparison.OrdinalIgnoreCase) ? backend.Addresses[0] : backend.Addresses[1],
                    (await SendAsync(client, host, path)).Split(' ')[1]);
            }
        }

        var handoffs = (await gateway.Admin.GetStringAsync("/metrics")).Split('\n')
            .Where(line => line.StartsWith("ingress_relay_handoffs_total{", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(handoffs);
        Assert.All(handoffs, line => Assert.EndsWith(" 0", line));
    }

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 60; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    private static List<(Ingress.Gateway.Discovery.SwarmService ForRelay, Ingress.Gateway.Discovery.SwarmService ForYarp, string Labels)> Services(
        Random random, AddressEchoBackend backend, int relayPort, int yarpPort)
    {
        var services = new List<(Ingress.Gateway.Discovery.SwarmService, Ingress.Gateway.Discovery.SwarmService, string)>();
        var count = random.Next(0, 5);
        for (var i = 0; i < count; i++)
        {
            var address = backend.Addresses[12 + i];
            var port = backend.Port.ToString(CultureInfo.InvariantCulture);
            var kind = random.Next(3);
            string[] Labels(int entryPort) => kind switch
            {
                0 => [$"ingress.publish={entryPort}:{port}"],
                1 => [$"ingress.host={PickFrom(["a.test", "b.test", "*.b.test", "c.b.test"], i)}", $"ingress.port={port}"],
                _ => [$"ingress.path={PickFrom(["/x", "/x/y", "/z"], i)}", $"ingress.port={port}"],
            };

            // The same service on both gateways, each with its own entry port.
            services.Add((
                Service($"s{i}", Swarm.Labels(Labels(relayPort)), [Task($"t{i}", address)], ageRank: i),
                Service($"s{i}", Swarm.Labels(Labels(yarpPort)), [Task($"t{i}", address)], ageRank: i),
                string.Join(" ", Labels(relayPort))));
        }

        return services;
    }

    private static string PickFrom(string[] values, int index) => values[index % values.Length];

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static async Task<string> SendAsync(HttpClient client, string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    private static string Describe(Dictionary<string, string?> settings, IEnumerable<(Ingress.Gateway.Discovery.SwarmService, Ingress.Gateway.Discovery.SwarmService, string Labels)> services)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in settings.Where(s => s.Key.StartsWith("ReverseProxy:Routes", StringComparison.Ordinal)).OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            text.Append(key["ReverseProxy:Routes:".Length..]).Append('=').Append(value).Append("; ");
        }

        foreach (var (_, _, labels) in services)
        {
            text.Append("[service ").Append(labels).Append("] ");
        }

        return text.ToString();
    }
}
