using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Tests.Routing;

/// <summary>With tracing on, the relay serves no route: each is handed to Kestrel and YARP, which record the spans.</summary>
public sealed class RelayRouteTableTracingTests
{
    private const int Port = 8080;

    [Theory]
    [InlineData(false, null, "Cluster")]
    [InlineData(true, null, "Tracing")]
    [InlineData(true, "ingress.compress", "Policy")]
    [InlineData(true, "ingress.redirect.scheme", "Redirect")]
    public void Build_TracingOn_HandsEveryRouteOff_ForItsOwnReasonOrTracing(bool tracing, string? label, string expected)
    {
        var metadata = new Dictionary<string, string> { [RouteMetadata.DiscoveredKey] = "true" };
        if (label is not null)
        {
            metadata[label] = label == "ingress.compress" ? "true" : "https";
        }

        var route = new RouteConfig { RouteId = "web", ClusterId = "c", Match = new RouteMatch { Path = "/{**c}" }, Metadata = metadata };
        var asked = 0;

        var table = RelayRouteTableBuilder.Build([new RouteModel(route, new ClusterState("c"), HttpTransformer.Default)], [Port], _ =>
        {
            asked++;
            return null;
        }, tracing: tracing);

        var matched = table.ForPort(Port)!.Match("a.test"u8, "/x"u8, out _);
        Assert.NotNull(matched);
        Assert.Null(matched.Cluster);
        Assert.Equal(Enum.Parse<HandoffReason>(expected), matched.Handoff);
        Assert.Equal(tracing ? 0 : 1, asked);
    }
}
