using CsCheck;
using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Tests.Routing;

public sealed class RouteTableBuilderTests
{
    private static readonly int[] s_entryPorts = [8888, 9000];

    [Fact]
    public void Build_Publish_RoutesEntryPortToEveryTaskOnTargetPort()
    {
        var service = Service("web", Labels("ingress.publish=8888:80"), [Task("t1", "10.0.0.5", 1), Task("t2", "10.0.0.6", 2)]);

        var table = RouteTableBuilder.Build([service], s_entryPorts);

        var route = Assert.Single(table.Routes);
        Assert.Equal("8888", route.Metadata![RouteMetadata.EntryPortKey]);
        Assert.Equal("/{**catch-all}", route.Match.Path);
        var cluster = Assert.Single(table.Clusters);
        Assert.Equal(route.ClusterId, cluster.ClusterId);
        Assert.Equal("RoundRobin", cluster.LoadBalancingPolicy);
        Assert.Equal(["http://10.0.0.5:80/", "http://10.0.0.6:80/"], cluster.Destinations!.Values.Select(d => d.Address));
        Assert.Equal(ServiceRouteStatus.Routed, Assert.Single(table.Services).Status);
    }

    [Fact]
    public void Build_H2cScheme_SendsHttp2WithPriorKnowledgeOnly_AndKeepsTheTimeout()
    {
        var grpc = Service("grpc", Labels("ingress.publish=8888:50051", "ingress.scheme=h2c", "ingress.timeout=5s"), [Task("t1")]);
        var web = Service("web", Labels("ingress.publish=9000:80"), [Task("t2")]);

        var table = RouteTableBuilder.Build([grpc, web], s_entryPorts);

        var request = table.Clusters.Single(c => c.ClusterId.StartsWith("grpc", StringComparison.Ordinal)).HttpRequest!;
        Assert.Equal(System.Net.HttpVersion.Version20, request.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, request.VersionPolicy);
        Assert.Equal(TimeSpan.FromSeconds(5), request.ActivityTimeout);
        Assert.Null(table.Clusters.Single(c => c.ClusterId.StartsWith("web", StringComparison.Ordinal)).HttpRequest);
    }

    [Fact]
    public void Build_HostAndPath_RoutesOnDefaultEntryPort()
    {
        var service = Service("api", Labels("ingress.host=api.example.com", "ingress.path=/v1", "ingress.port=5000"), [Task("t1")]);

        var table = RouteTableBuilder.Build([service], s_entryPorts);

        var route = Assert.Single(table.Routes);
        Assert.Equal("8888", route.Metadata![RouteMetadata.EntryPortKey]);
        Assert.Equal(["api.example.com"], route.Match.Hosts);
        Assert.Equal("/v1/{**catch-all}", route.Match.Path);
        Assert.Equal("http://10.0.0.1:5000/", Assert.Single(Assert.Single(table.Clusters).Destinations!.Values).Address);
    }

    [Fact]
    public void Build_PortTheGatewayDoesNotListenOn_IsReportedAndSkipped()
    {
        var service = Service("web", Labels("ingress.publish=7777:80"), [Task("t1")]);

        var table = RouteTableBuilder.Build([service], s_entryPorts);

        Assert.Empty(table.Routes);
        var state = Assert.Single(table.Services);
        Assert.Equal(ServiceRouteStatus.Invalid, state.Status);
        Assert.Contains("does not listen on entry port 7777", Assert.Single(state.Errors).Reason);
    }

    [Fact]
    public void Build_TwoServicesOnOnePort_OlderKeepsItNewerIsSkipped()
    {
        var older = Service("old", Labels("ingress.publish=8888:80"), [Task("t1")], ageRank: 1);
        var newer = Service("new", Labels("ingress.publish=8888:80"), [Task("t2")], ageRank: 2);

        var table = RouteTableBuilder.Build([newer, older], s_entryPorts);

        Assert.Equal("old/publish/8888", Assert.Single(table.Routes).RouteId);
        var skipped = Assert.Single(table.Invalid);
        Assert.Equal("new", skipped.Service.Name);
        Assert.Contains("clashes with service 'old'", Assert.Single(skipped.Errors).Reason);
    }

    [Fact]
    public void Build_SameHostAndPath_Clashes_DifferentPathsDoNot()
    {
        var a = Service("a", Labels("ingress.host=x.io", "ingress.port=80"), ageRank: 1);
        var b = Service("b", Labels("ingress.host=x.io", "ingress.port=81"), ageRank: 2);
        var c = Service("c", Labels("ingress.host=x.io", "ingress.path=/c", "ingress.port=80"), ageRank: 3);

        var table = RouteTableBuilder.Build([a, b, c], s_entryPorts);

        Assert.Equal(["a/rule", "c/rule"], table.Routes.Select(r => r.RouteId));
        Assert.Equal("b", Assert.Single(table.Invalid).Service.Name);
    }

    [Fact]
    public void Build_HostListsShareOneHost_NewerClashesOnThatHost()
    {
        var older = Service("old", Labels("ingress.host=a.example.com,b.example.com", "ingress.port=80"), ageRank: 1);
        var newer = Service("new", Labels("ingress.host=B.example.com", "ingress.port=80"), ageRank: 2);

        var table = RouteTableBuilder.Build([newer, older], s_entryPorts);

        Assert.Equal("old/rule", Assert.Single(table.Routes).RouteId);
        var skipped = Assert.Single(table.Invalid);
        Assert.Equal("new", skipped.Service.Name);
        Assert.Equal("clashes with service 'old', which already routes b.example.com:8888/", Assert.Single(skipped.Errors).Reason);
    }

    [Fact]
    public void Build_PathsDifferingOnlyInCase_Clash()
    {
        var older = Service("old", Labels("ingress.path=/api", "ingress.port=80"), ageRank: 1);
        var newer = Service("new", Labels("ingress.path=/API", "ingress.port=80"), ageRank: 2);

        var table = RouteTableBuilder.Build([older, newer], s_entryPorts);

        Assert.Equal("old/rule", Assert.Single(table.Routes).RouteId);
        Assert.Contains("clashes with service 'old', which already routes :8888/api", Assert.Single(Assert.Single(table.Invalid).Errors).Reason);
    }

    [Fact]
    public void Build_DiscoveredRoutes_CarryTheDiscoveredMarker()
    {
        var table = RouteTableBuilder.Build([Service("web", Labels("ingress.publish=8888:80"), [Task("t1")])], s_entryPorts);

        Assert.Equal("true", Assert.Single(table.Routes).Metadata![RouteMetadata.DiscoveredKey]);
    }

    [Fact]
    public void Build_RedirectAndHsts_AreCarriedAsRouteMetadata_OnEveryRouteOfTheService()
    {
        var table = RouteTableBuilder.Build(
            [Service("web", Labels("ingress.publish=8888:80,9000:80", "ingress.redirect.scheme=HTTPS", "ingress.redirect.port=8443", "ingress.hsts.maxage=300"), [Task("t1")])],
            s_entryPorts);

        Assert.Equal(2, table.Routes.Length);
        foreach (var route in table.Routes)
        {
            Assert.Equal(new RedirectRule("https", null, 8443, Permanent: true), route.Redirect(out var redirectErrors));
            Assert.Equal("max-age=300", route.Hsts(out var hstsErrors)!.HeaderValue);
            Assert.Empty(redirectErrors);
            Assert.Empty(hstsErrors);
        }
    }

    [Fact]
    public void Build_Policies_AreCarriedAsRouteMetadata_TheStripOnlyOnTheRouteWithAPrefix()
    {
        var table = RouteTableBuilder.Build(
            [Service("web", Labels("ingress.publish=9000:80", "ingress.path=/v1/", "ingress.port=80", "ingress.path.strip=true", "ingress.response.headers.set.X-A=1"), [Task("t1")])],
            s_entryPorts);

        var rule = Assert.Single(table.Routes, r => r.RouteId == "web/rule");
        var publish = Assert.Single(table.Routes, r => r.RouteId != "web/rule");
        var headers = new HeaderPolicy([new("X-A", "1")], [], []);
        Assert.Equal(new RoutePolicies("/v1", null, HeaderPolicy.None, headers, Compress: false), rule.Policies(out var ruleErrors));
        Assert.Equal(new RoutePolicies(null, null, HeaderPolicy.None, headers, Compress: false), publish.Policies(out var publishErrors));
        Assert.Empty(ruleErrors);
        Assert.Empty(publishErrors);
    }

    [Fact]
    public void Build_WithoutRedirectOrHstsLabels_RoutesCarryNoneOfTheirMetadata()
    {
        var route = Assert.Single(RouteTableBuilder.Build([Service("web", Labels("ingress.publish=8888:80"), [Task("t1")])], s_entryPorts).Routes);

        Assert.DoesNotContain(route.Metadata!.Keys, k => k.StartsWith("ingress.redirect.", StringComparison.Ordinal) || k.StartsWith("ingress.hsts.", StringComparison.Ordinal));
        Assert.Null(route.Redirect(out _));
        Assert.Null(route.Hsts(out _));
        Assert.Null(route.Policies(out _));
    }

    [Fact]
    public void Build_BadRedirectLabel_SkipsThatServiceWithTheLabelAndReason_OthersRouted()
    {
        var good = Service("good", Labels("ingress.publish=8888:80", "ingress.redirect.scheme=https"), [Task("t1")]);
        var bad = Service("bad", Labels("ingress.publish=9000:80", "ingress.redirect.scheme=ftp"), [Task("t2")]);

        var table = RouteTableBuilder.Build([good, bad], s_entryPorts);

        Assert.Equal("good/publish/8888", Assert.Single(table.Routes).RouteId);
        var invalid = Assert.Single(table.Invalid);
        Assert.Equal("bad", invalid.Service.Name);
        Assert.Equal("ingress.redirect.scheme=ftp: expected https or http", Assert.Single(invalid.Errors).ToString());
    }

    [Fact]
    public void Build_InvalidService_LeavesOthersRouted()
    {
        var good = Service("good", Labels("ingress.publish=8888:80"), [Task("t1")]);
        var bad = Service("bad", Labels("ingress.publish=9000:nope"), [Task("t2")]);

        var table = RouteTableBuilder.Build([good, bad], s_entryPorts);

        Assert.Equal("good/publish/8888", Assert.Single(table.Routes).RouteId);
        Assert.Equal("bad", Assert.Single(table.Invalid).Service.Name);
    }

    [Fact]
    public void Build_Disabled_HasNoRoutes()
    {
        var table = RouteTableBuilder.Build([Service("off", Labels("ingress.enable=false", "ingress.publish=8888:80"))], s_entryPorts);

        Assert.Empty(table.Routes);
        Assert.Equal(ServiceRouteStatus.Disabled, Assert.Single(table.Services).Status);
    }

    [Fact]
    public void Build_SameInput_GivesEqualProxyConfig()
    {
        var services = new[] { Service("web", Labels("ingress.publish=8888:80"), [Task("t1"), Task("t2", "10.0.0.2")]) };

        var first = RouteTableBuilder.Build(services, s_entryPorts);
        var second = RouteTableBuilder.Build(services.Reverse(), s_entryPorts);

        Assert.True(first.HasSameProxyConfig(second));
    }

    [Fact]
    public void Build_TaskAddedOrRemoved_ChangesProxyConfig()
    {
        var before = RouteTableBuilder.Build([Service("web", Labels("ingress.publish=8888:80"), [Task("t1")])], s_entryPorts);
        var after = RouteTableBuilder.Build([Service("web", Labels("ingress.publish=8888:80"), [Task("t1"), Task("t2", "10.0.0.2")])], s_entryPorts);

        Assert.False(before.HasSameProxyConfig(after));
    }

    [Fact]
    public void Build_Ipv6Task_BracketsTheAddress()
    {
        var table = RouteTableBuilder.Build([Service("v6", Labels("ingress.publish=8888:80"), [Task("t1", "fd00::5")])], s_entryPorts);

        Assert.Equal("http://[fd00::5]:80/", Assert.Single(Assert.Single(table.Clusters).Destinations!.Values).Address);
    }

    [Fact]
    public void Build_RandomLabels_NeverThrowsAndEveryServiceIsAccountedFor()
    {
        var keys = Gen.OneOf("ingress.publish", "ingress.host", "ingress.path", "ingress.port", "ingress.lb", "ingress.enable", "ingress.network", "ingress.x", "other");
        var values = Gen.OneOf(
            Gen.String,
            Gen.OneOf("8888:80", "9000:9000", "8888", "0:1", "80:80,80:81", "a.b", "*.x.io", "/", "/api/", "round_robin", "true", "false", ":", ",", ""),
            Gen.Int[-5, 70000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var labels = Gen.Dictionary(keys, values)[0, 6].Select(d => (IReadOnlyDictionary<string, string>)d);
        var services = labels.Select(Gen.Int[0, 4], (l, tasks) => (l, tasks)).List[0, 8];

        services.Sample(list =>
        {
            var swarm = list.Select((s, i) => Service($"svc{i}", s.l, Enumerable.Range(0, s.tasks).Select(t => Task($"t{i}-{t}", $"10.0.{i}.{t + 1}")), ageRank: i)).ToList();

            var table = RouteTableBuilder.Build(swarm, s_entryPorts);

            Assert.Equal(swarm.Count, table.Services.Length);
            Assert.Equal(table.Routes.Length, table.Routes.Select(r => r.RouteId).Distinct().Count());
            Assert.All(table.Routes, r => Assert.Contains(table.Clusters, c => c.ClusterId == r.ClusterId));
            Assert.All(table.Invalid, s => Assert.NotEmpty(s.Errors));
        }, iter: 2000);
    }

    [Fact]
    public void Build_WithServicePlans_KeepsTheConfigsOfAnUnchangedServiceInstance()
    {
        var plans = new ServicePlans(s_entryPorts[0]);
        var api = Service("api", Labels("ingress.host=api.example.com", "ingress.port=5000"), [Task("a1", "10.0.0.5")]);
        var web = Service("web", Labels("ingress.publish=9000:80"), [Task("w1", "10.0.0.6")]);
        var first = RouteTableBuilder.Build([api, web], s_entryPorts, plans);

        var rolled = web with { Tasks = [Task("w2", "10.0.0.7")] };
        var second = RouteTableBuilder.Build([api, rolled], s_entryPorts, plans);

        Assert.Same(first.Routes.Single(r => r.ClusterId == "api/5000"), second.Routes.Single(r => r.ClusterId == "api/5000"));
        Assert.Same(first.Clusters.Single(c => c.ClusterId == "api/5000"), second.Clusters.Single(c => c.ClusterId == "api/5000"));
        var webCluster = second.Clusters.Single(c => c.ClusterId == "web/80");
        Assert.NotSame(first.Clusters.Single(c => c.ClusterId == "web/80"), webCluster);
        Assert.Equal("http://10.0.0.7:80/", Assert.Single(webCluster.Destinations!.Values).Address);
    }

    [Fact]
    public void Build_WithPlansForAnotherDefaultEntryPort_IgnoresThem()
    {
        var plans = new ServicePlans(9000);
        var api = Service("api", Labels("ingress.host=api.example.com", "ingress.port=5000"), [Task("a1")]);
        RouteTableBuilder.Build([api], [9000], plans);

        var table = RouteTableBuilder.Build([api], s_entryPorts, plans);

        Assert.Equal("8888", Assert.Single(table.Routes).Metadata![RouteMetadata.EntryPortKey]);
    }
}
