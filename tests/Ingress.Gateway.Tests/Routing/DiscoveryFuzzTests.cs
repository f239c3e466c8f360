using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;
using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Tests.Routing;

public sealed class DiscoveryFuzzTests
{
    [Fact]
    public void LabelParser_ArbitraryStrings_NeverThrows()
    {
        var key = Gen.OneOf(Gen.Const("ingress.publish"), Gen.Const("ingress.host"), Gen.Const("ingress.path"), Gen.Const("ingress.port"),
            Gen.Const("ingress.lb"), Gen.Const("ingress.enable"), Gen.Const("ingress.timeout"), Gen.Const("ingress.healthcheck.path"),
            Gen.Const("ingress.healthcheck.interval"), Gen.Const("ingress.healthcheck.timeout"), Gen.String);
        Gen.Dictionary(key, Gen.String)[0, 8].Sample(labels =>
        {
            var routing = LabelParser.Parse(labels, out var errors);
            Assert.True(routing is null ^ errors.IsEmpty);
        }, iter: 5000);
    }

    [Fact]
    public void Reconciler_RandomSnapshots_NeverThrowsAndAlwaysPublishesAValidTable()
    {
        var provider = new SwarmProxyConfigProvider();
        var reconciler = new DiscoveryReconciler(provider, [new("docker")], Options.Create(new GatewayOptions { EntryPorts = [8888, 9000] }),
            new GatewayMetrics(), TimeProvider.System, NullLogger<DiscoveryReconciler>.Instance);
        var values = Gen.OneOf(Gen.String, Gen.Const("8888:80"), Gen.Const("9000"), Gen.Const("x.io"), Gen.Const("/a"), Gen.Const("80"), Gen.Const("2s"));
        var labels = Gen.Dictionary(Gen.OneOf(Gen.Const("ingress.publish"), Gen.Const("ingress.host"), Gen.Const("ingress.path"), Gen.Const("ingress.port"), Gen.Const("ingress.timeout")), values)[0, 5];

        labels.List[0, 6].Sample(list =>
        {
            var services = list.Select((l, i) => Service($"s{i % 3}-{i}", l, [Task($"t{i}", $"10.1.0.{i + 1}")], ageRank: i)).ToArray();
            reconciler.Publish(Snapshot("docker", services));
            Assert.Equal(services.Length, reconciler.Table.Services.Length);
            Assert.All(provider.GetConfig().Routes, r => Assert.Contains(provider.GetConfig().Clusters, c => c.ClusterId == r.ClusterId));
        }, iter: 500, threads: 1);
    }

    [Fact]
    public void Build_WithServicePlans_EqualsAFreshBuild()
    {
        // One set of plans across every sample, as in a gateway: services passed again as the same instance are taken
        // from their plans, the rest are planned anew, and the table must be the one a fresh build gives.
        int[] ports = [8888, 9000];
        var plans = new ServicePlans(ports[0]);
        var values = Gen.OneOf(Gen.String, Gen.Const("8888:80"), Gen.Const("9000"), Gen.Const("9000:81"), Gen.Const("x.io"), Gen.Const("/a"), Gen.Const("80"), Gen.Const("2s"));
        var labels = Gen.Dictionary(Gen.OneOf(Gen.Const("ingress.publish"), Gen.Const("ingress.host"), Gen.Const("ingress.path"), Gen.Const("ingress.port"), Gen.Const("ingress.enable")), values)[0, 5];
        SwarmService[] previous = [];

        // Names repeat sometimes (s0, s1, s2): two sources, or a service removed and created again, can look alike.
        Gen.Select(labels.List[0, 6], Gen.Bool.Array[6], Gen.Bool.Array[6]).Sample((list, reuse, sameName) =>
        {
            var services = list.Select((l, i) => reuse[i] && i < previous.Length
                ? previous[i]
                : Service(sameName[i] ? $"s{i % 3}" : $"s{i % 3}-{i}", l, [Task($"t{i}", $"10.1.0.{i + 1}")], ageRank: i % 2)).ToArray();

            var planned = RouteTableBuilder.Build(services, ports, plans);
            var fresh = RouteTableBuilder.Build(services, ports);

            Assert.True(planned.HasSameProxyConfig(fresh));
            Assert.Equal(Describe(fresh), Describe(planned));
            previous = services;
        }, iter: 2000, threads: 1);
    }

    private static string[] Describe(RouteTable table) =>
        [.. table.Services.Select(s => $"{s.Service.Name}|{s.Status}|{string.Join(";", s.Errors)}|{string.Join(";", s.Entries)}|{s.LoadBalancingPolicy}")];
}
