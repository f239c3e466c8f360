using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>
/// <c>ingress.weight</c> in the route table: services declaring the same rule, all with a weight, share one route and one
/// weighted cluster; every other overlap stays a clash that the older service wins.
/// </summary>
public sealed class WeightedRouteTableTests
{
    private static readonly int[] s_entryPorts = [8888, 9000];

    [Fact]
    public void Build_SameRuleAllWeighted_OneRouteToOneClusterOfEveryReplica_TaggedByService()
    {
        var stable = Service("web", Labels("ingress.host=shop.test", "ingress.port=80", "ingress.weight=90"), [Task("s1", "10.0.0.1"), Task("s2", "10.0.0.2")], ageRank: 1);
        var canary = Service("web-canary", Labels("ingress.host=shop.test", "ingress.port=8080", "ingress.weight=10"), [Task("c1", "10.0.1.1")], ageRank: 2);

        var table = RouteTableBuilder.Build([canary, stable], s_entryPorts);

        Assert.Empty(table.Invalid);
        var route = Assert.Single(table.Routes);
        Assert.Equal("web/rule", route.RouteId);
        var cluster = Assert.Single(table.Clusters, c => c.ClusterId == route.ClusterId);
        Assert.Equal(WeightedLoadBalancingPolicy.PolicyName, cluster.LoadBalancingPolicy);
        Assert.Equal("web=90,web-canary=10", cluster.Metadata![WeightedSplit.WeightsKey]);
        Assert.Equal(["c1", "s1", "s2"], cluster.Destinations!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("http://10.0.1.1:8080/", cluster.Destinations["c1"].Address);
        Assert.Equal("web-canary", cluster.Destinations["c1"].Metadata![RouteMetadata.ServiceKey]);
        Assert.Equal("web", cluster.Destinations["s1"].Metadata![RouteMetadata.ServiceKey]);
        Assert.All(table.Services, s => Assert.Equal(ServiceRouteStatus.Routed, s.Status));
    }

    [Fact]
    public void Build_SamePublishedPortAllWeighted_ShareIt_AndTheirOtherRoutesStayTheirOwn()
    {
        var stable = Service("web", Labels("ingress.publish=8888:80", "ingress.weight=3"), [Task("s1")], ageRank: 1);
        var canary = Service("next", Labels("ingress.publish=8888:80,9000:80", "ingress.weight=1"), [Task("c1", "10.0.0.9")], ageRank: 2);

        var table = RouteTableBuilder.Build([stable, canary], s_entryPorts);

        Assert.Empty(table.Invalid);
        Assert.Equal(["next/publish/9000", "web/publish/8888"], table.Routes.Select(r => r.RouteId));
        Assert.Equal("weighted/web/publish/8888", table.Routes[1].ClusterId);
        Assert.Equal("next/80", table.Routes[0].ClusterId);
    }

    [Fact]
    public void Build_OneServiceAloneWithWeight_IsAnOrdinaryRoute()
    {
        var table = RouteTableBuilder.Build([Service("web", Labels("ingress.publish=8888:80", "ingress.weight=90"), [Task("s1")])], s_entryPorts);

        Assert.Equal("web/80", Assert.Single(table.Routes).ClusterId);
        Assert.DoesNotContain(table.Clusters, c => c.LoadBalancingPolicy == WeightedLoadBalancingPolicy.PolicyName);
    }

    [Theory]
    [InlineData("ingress.weight=90", "")]
    [InlineData("", "ingress.weight=10")]
    public void Build_SameRuleNotAllWeighted_IsAClash_TheOlderKeepsIt_WithAHint(string olderWeight, string newerWeight)
    {
        var older = Service("old", Labels(["ingress.publish=8888:80", .. Some(olderWeight)]), [Task("t1")], ageRank: 1);
        var newer = Service("new", Labels(["ingress.publish=8888:80", .. Some(newerWeight)]), [Task("t2")], ageRank: 2);

        var table = RouteTableBuilder.Build([newer, older], s_entryPorts);

        Assert.Equal("old/80", Assert.Single(table.Routes).ClusterId);
        var error = Assert.Single(Assert.Single(table.Invalid).Errors);
        Assert.Equal(IngressLabels.Publish, error.Label);
        Assert.Contains("clashes with service 'old'", error.Reason);
        Assert.Contains("all set ingress.weight", error.Reason);
    }

    [Fact]
    public void Build_WeightedRulesOverlappingOnOneHostOnly_AreAClash()
    {
        var older = Service("old", Labels("ingress.host=a.test,b.test", "ingress.port=80", "ingress.weight=50"), [Task("t1")], ageRank: 1);
        var newer = Service("new", Labels("ingress.host=b.test", "ingress.port=80", "ingress.weight=50"), [Task("t2")], ageRank: 2);

        var table = RouteTableBuilder.Build([older, newer], s_entryPorts);

        Assert.Equal("old/80", Assert.Single(table.Routes).ClusterId);
        Assert.Contains("clashes with service 'old', which already routes b.test:8888/", Assert.Single(Assert.Single(table.Invalid).Errors).Reason);
    }

    [Theory]
    [InlineData("ingress.timeout=5s", "sends requests differently")]
    [InlineData("ingress.lb=least_requests", "sends requests differently")]
    [InlineData("ingress.sticky=true", "sends requests differently")]
    [InlineData("ingress.compress=true", "handles requests differently")]
    [InlineData("ingress.response.headers.set.X-Version=2", "handles requests differently")]
    public void Build_WeightedServicesDisagreeingOnHowRequestsAreHandled_TheNewerIsSkipped_OnItsWeightLabel(string label, string reason)
    {
        var older = Service("old", Labels("ingress.path=/shop", "ingress.port=80", "ingress.weight=90"), [Task("t1")], ageRank: 1);
        var newer = Service("new", Labels("ingress.path=/shop", "ingress.port=80", "ingress.weight=10", label), [Task("t2")], ageRank: 2);

        var table = RouteTableBuilder.Build([older, newer], s_entryPorts);

        Assert.Equal("old/80", Assert.Single(table.Routes).ClusterId);
        var error = Assert.Single(Assert.Single(table.Invalid).Errors);
        Assert.Equal(IngressLabels.Weight, error.Label);
        Assert.Equal("10", error.Value);
        Assert.Contains($"shares :8888/shop by weight with service 'old', but {reason}", error.Reason);
    }

    [Fact]
    public void Build_ThreeWeightedServices_ShareOneRoute_WithWeightZeroListed()
    {
        var services = new[]
        {
            Service("a", Labels("ingress.publish=8888:80", "ingress.weight=80"), [Task("a1")], ageRank: 1),
            Service("b", Labels("ingress.publish=8888:80", "ingress.weight=20"), [Task("b1")], ageRank: 2),
            Service("dark", Labels("ingress.publish=8888:80", "ingress.weight=0"), [Task("d1")], ageRank: 3),
        };

        var table = RouteTableBuilder.Build(services, s_entryPorts);

        Assert.Empty(table.Invalid);
        var cluster = Assert.Single(table.Clusters, c => c.ClusterId == Assert.Single(table.Routes).ClusterId);
        Assert.Equal("a=80,b=20,dark=0", cluster.Metadata![WeightedSplit.WeightsKey]);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("ten")]
    [InlineData("2.5")]
    public void Parse_InvalidWeight_ReturnsNullWithTheLabelAndReason(string weight)
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", $"ingress.weight={weight}"), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.Label == IngressLabels.Weight && e.Reason.Contains("whole number from 0", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { 90, 10 }, 10)]
    [InlineData(new[] { 900, 100 }, 10)]
    [InlineData(new[] { 2, 1, 1 }, 4)]
    [InlineData(new[] { 1, 0 }, 1)]
    [InlineData(new[] { 0, 0 }, 0)]
    public void SmoothWeightedRoundRobin_OneCycle_GivesEachItsWeightReduced_Interleaved(int[] weights, int length)
    {
        var schedule = WeightedSplit.SmoothWeightedRoundRobin(weights);

        Assert.Equal(length, schedule.Length);
        var divisor = length == 0 ? 1 : weights.Sum() / length;
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.Equal(weights[i] / divisor, schedule.Count(s => s == i));
        }

        if (weights is [2, 1, 1])
        {
            // Interleaved, not bunched: the heavy one never twice in a row here.
            Assert.Equal([0, 1, 2, 0], schedule);
        }
    }

    private static string[] Some(string label) => label.Length == 0 ? [] : [label];
}
