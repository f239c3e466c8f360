using System.Text;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>
/// The relay's route choice, rule by rule. <see cref="RelayRoutingEquivalenceTests"/> checks the same against ASP.NET
/// Core's real matcher on random route sets.
/// </summary>
public sealed class RelayRouteTableTests
{
    private const int Port = 8888;

    [Fact]
    public void Match_StaticAndDiscoveredCatchAll_StaticWinsTheTie()
    {
        var table = Build(Route("static", "/{**c}"), Route("discovered", "/{**c}", discovered: true));

        Assert.Equal("static", Match(table, "any.test", "/x"));
    }

    [Fact]
    public void Match_TwoStaticCatchAlls_IsAmbiguous_AndLeftToKestrel()
    {
        var table = Build(Route("one", "/{**c}"), Route("two", "/{**c}"));

        Assert.Null(Match(table, "any.test", "/x"));
    }

    [Fact]
    public void Match_PathPrecedenceComesBeforeHost()
    {
        var table = Build(Route("host-root", "/{**c}", hosts: ["shop.test"]), Route("api", "/api/{**c}"));

        Assert.Equal("api", Match(table, "shop.test", "/api/x"));
        Assert.Equal("host-root", Match(table, "shop.test", "/other"));
        Assert.Null(Match(table, "else.test", "/other"));
    }

    [Fact]
    public void Match_SamePath_HostRouteBeatsHostless()
    {
        var table = Build(Route("hostless", "/{**c}"), Route("host", "/{**c}", hosts: ["Shop.Test"]));

        Assert.Equal("host", Match(table, "shop.test", "/"));
        Assert.Equal("hostless", Match(table, "other.test", "/"));
    }

    [Fact]
    public void Match_ExactHostRoute_ShutsOutWildcardRoutesEvenWithLongerPaths()
    {
        var table = Build(Route("exact", "/x/{**c}", hosts: ["a.example.com"]), Route("wild", "/x/y/{**c}", hosts: ["*.example.com"]));

        Assert.Equal("exact", Match(table, "a.example.com", "/x/y/z"));
        Assert.Equal("wild", Match(table, "b.example.com", "/x/y/z"));
        Assert.Null(Match(table, "b.example.com", "/x"));
    }

    [Fact]
    public void Match_WildcardEdge_AlsoHoldsTheWildcardsUnderIt_EvenWhenTheyDoNotMatchTheHost()
    {
        // ASP.NET Core puts "*.b.test" routes on the "*.test" edge: for host b.test, the ordered "*.b.test" route wins.
        var table = Build(Route("wide", "/{**c}", hosts: ["*.test"]), Route("narrow", "/{**c}", hosts: ["*.b.test"], order: -1));

        Assert.Equal("narrow", Match(table, "b.test", "/"));
        Assert.Equal("narrow", Match(table, "x.test", "/"));
        Assert.Null(Match(table, "c.b.test", "/"));
    }

    [Fact]
    public void Match_HostSpeltInTwoCases_IsTwoEdgesToAspNetCore_AndLeftToIt()
    {
        var table = Build(Route("upper", "/{**c}", hosts: ["A.TEST"]), Route("lower", "/x/{**c}", hosts: ["a.test"]));

        Assert.Null(Match(table, "a.test", "/x"));
    }

    [Theory]
    [InlineData("a.example.com", true)]
    [InlineData("b.a.example.com", true)]
    [InlineData("A.EXAMPLE.COM", true)]
    [InlineData("example.com", false)]
    [InlineData(".example.com", false)]
    [InlineData("a..example.com", false)]
    public void Match_WildcardHost_MatchesSubdomainsOnly(string host, bool matches)
    {
        var table = Build(Route("wild", "/{**c}", hosts: ["*.example.com"]));

        Assert.Equal(matches ? "wild" : null, Match(table, host, "/"));
    }

    [Theory]
    [InlineData("/cart", true)]
    [InlineData("/cart/", true)]
    [InlineData("/CART/items", true)]
    [InlineData("/cartx", false)]
    [InlineData("/", false)]
    public void Match_PathPrefix_IsSegmentWiseAndIgnoresCase(string path, bool matches)
    {
        var table = Build(Route("cart", "/cart/{**rest}"));

        Assert.Equal(matches ? "cart" : null, Match(table, "a.test", path));
    }

    [Fact]
    public void Match_RouteOrder_ComesFirst()
    {
        var table = Build(Route("specific", "/a/b/{**c}"), Route("ordered", "/{**c}", order: -1));

        Assert.Equal("ordered", Match(table, "a.test", "/a/b/c"));
    }

    [Fact]
    public void Build_EntryPortMetadata_BindsTheRouteToThatPortOnly_StaticRoutesApplyToEveryPort()
    {
        var table = RelayRouteTableBuilder.Build(
            [Model(Route("bound", "/{**c}", port: 9000)), Model(Route("everywhere", "/x/{**c}"))], [Port, 9000], _ => null);

        Assert.Null(MatchOn(table, Port, "a.test", "/"));
        Assert.Equal("bound", MatchOn(table, 9000, "a.test", "/"));
        Assert.Equal("everywhere", MatchOn(table, Port, "a.test", "/x"));
    }

    [Theory]
    [InlineData("methods")]
    [InlineData("headers")]
    [InlineData("parameter")]
    [InlineData("exact-path")]
    [InlineData("host-port")]
    [InlineData("transform")]
    public void Build_RouteTheRelayDoesNotEvaluate_LeavesItsPortsToKestrel(string kind)
    {
        var route = Route("plain", "/{**c}");
        var odd = kind switch
        {
            "methods" => Route("odd", "/{**c}") with { Match = new RouteMatch { Path = "/{**c}", Methods = ["GET"] } },
            "headers" => Route("odd", "/{**c}") with { Match = new RouteMatch { Path = "/{**c}", Headers = [new RouteHeader { Name = "X", Values = ["1"] }] } },
            "parameter" => Route("odd", "/items/{id}"),
            "exact-path" => Route("odd", "/exact"),
            "host-port" => Route("odd", "/{**c}", hosts: ["a.test:8080"]),
            _ => Route("odd", "/{**c}") with { Transforms = [new Dictionary<string, string> { ["PathPrefix"] = "/p" }] },
        };

        var table = Build(route, odd);

        Assert.True(table.ForPort(Port)!.Unsupported);
        Assert.Null(Match(table, "a.test", "/items/1"));
    }

    [Fact]
    public void Match_ManyServices_EachHostAndPathFindsItsOwn()
    {
        var routes = new List<RouteConfig>();
        for (var i = 0; i < 500; i++)
        {
            routes.Add(Route($"host-{i}", "/{**c}", hosts: [$"s{i}.test"], discovered: true));
            routes.Add(Route($"path-{i}", $"/p{i}/{{**c}}", discovered: true));
        }

        var table = Build([.. routes]);

        Assert.Equal("host-123", Match(table, "s123.test", "/"));
        Assert.Equal("path-77", Match(table, "s123.test", "/p77/x"));
        Assert.Null(Match(table, "nobody.test", "/nothing"));
    }

    /// <summary>Builds the table for one discovered catch-all route carrying <paramref name="metadata"/> (<c>key=value</c>); the route a request matches, and how many clusters the builder asked for.</summary>
    private static (RelayRoute? Matched, int Asked) MatchWithMetadata(string[] metadata)
    {
        var route = Route("web", "/{**c}", discovered: true);
        var withMetadata = new Dictionary<string, string>(route.Metadata!);
        foreach (var pair in metadata.Select(m => m.Split('=', 2)))
        {
            withMetadata[pair[0]] = pair[1];
        }

        var asked = 0;
        var table = RelayRouteTableBuilder.Build([Model(route with { Metadata = withMetadata })], [Port], _ =>
        {
            asked++;
            return null;
        });
        return (table.ForPort(Port)!.Match("a.test"u8, "/x"u8, out _), asked);
    }

    [Theory]
    [InlineData(new[] { "ingress.redirect.scheme=https" }, true)]
    [InlineData(new[] { "ingress.redirect.host=example.test" }, true)]
    [InlineData(new[] { "ingress.redirect.scheme=http" }, false)]
    [InlineData(new[] { "ingress.hsts.maxage=300" }, false)]
    [InlineData(new string[0], false)]
    public void Build_RouteThatMayRedirectCleartext_IsHandedOffForRedirect_OthersKeepTheirCluster(string[] metadata, bool redirects)
    {
        var (matched, asked) = MatchWithMetadata(metadata);

        Assert.NotNull(matched);
        Assert.Null(matched.Cluster);
        Assert.Equal(redirects ? Ingress.Gateway.Http1.HandoffReason.Redirect : Ingress.Gateway.Http1.HandoffReason.Cluster, matched.Handoff);
        Assert.Equal(redirects ? 0 : 1, asked);
    }

    [Theory]
    [InlineData(new[] { "ingress.path=/v1", "ingress.path.strip=true" }, true)]
    [InlineData(new[] { "ingress.path.add=/api" }, true)]
    [InlineData(new[] { "ingress.request.headers.set.X-A=1" }, true)]
    [InlineData(new[] { "ingress.request.headers.add.X-A=1" }, true)]
    [InlineData(new[] { "ingress.request.headers.remove=X-A" }, true)]
    [InlineData(new[] { "ingress.response.headers.set.X-A=1" }, true)]
    [InlineData(new[] { "ingress.response.headers.add.X-A=1" }, true)]
    [InlineData(new[] { "ingress.response.headers.remove=X-A" }, true)]
    [InlineData(new[] { "ingress.compress=true" }, true)]
    [InlineData(new[] { "ingress.compress=false" }, false)]
    [InlineData(new string[0], false)]
    public void Build_RouteWithAPolicy_IsHandedOffForPolicy_OthersKeepTheirCluster(string[] metadata, bool policy)
    {
        var (matched, asked) = MatchWithMetadata(metadata);

        Assert.NotNull(matched);
        Assert.Equal(policy ? Ingress.Gateway.Http1.HandoffReason.Policy : Ingress.Gateway.Http1.HandoffReason.Cluster, matched.Handoff);
        Assert.Equal(policy ? 0 : 1, asked);
    }

    private static RouteConfig Route(string id, string path, string[]? hosts = null, bool discovered = false, int? order = null, int? port = null)
    {
        var metadata = new Dictionary<string, string>();
        if (discovered)
        {
            metadata[RouteMetadata.DiscoveredKey] = "true";
            metadata[RouteMetadata.EntryPortKey] = (port ?? Port).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (port is not null)
        {
            metadata[RouteMetadata.EntryPortKey] = port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new RouteConfig
        {
            RouteId = id,
            ClusterId = "c",
            Order = order,
            Match = new RouteMatch { Path = path, Hosts = hosts },
            Metadata = metadata,
        };
    }

    private static RouteModel Model(RouteConfig config) => new(config, new ClusterState("c"), HttpTransformer.Default);

    private static RelayRouteTable Build(params RouteConfig[] routes) =>
        RelayRouteTableBuilder.Build(routes.Select(Model), [Port], _ => null);

    private static string? Match(RelayRouteTable table, string host, string path) => MatchOn(table, Port, host, path);

    private static string? MatchOn(RelayRouteTable table, int port, string host, string path) =>
        table.ForPort(port)?.Match(Encoding.ASCII.GetBytes(host), Encoding.ASCII.GetBytes(path), out _)?.RouteId;
}
