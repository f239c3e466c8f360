using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Tests.Schema;

public sealed class RouteMetadataTests
{
    private static RouteConfig Route(params (string Key, string Value)[] metadata) => new()
    {
        RouteId = "r",
        ClusterId = "c",
        Match = new RouteMatch { Path = "/{**rest}" },
        Metadata = metadata.ToDictionary(m => m.Key, m => m.Value),
    };

    [Fact]
    public void Redirect_ReadTwiceFromOneRoute_IsParsedOnce()
    {
        var route = Route((IngressLabels.RedirectScheme, "https"));

        var first = route.Redirect(out _);

        Assert.NotNull(first);
        Assert.Same(first, route.Redirect(out _));
    }

    [Fact]
    public void Redirect_AnotherRouteWithTheSameMetadata_IsParsedForItself()
    {
        var first = Route((IngressLabels.RedirectScheme, "https")).Redirect(out _);
        var second = Route((IngressLabels.RedirectScheme, "http")).Redirect(out _);

        Assert.Equal("https", first!.Scheme);
        Assert.Equal("http", second!.Scheme);
    }

    [Fact]
    public void EveryReader_InvalidMetadata_GetsTheErrorsEachTime()
    {
        var route = Route((IngressLabels.RedirectScheme, "ftp"), (IngressLabels.Compress, "maybe"));

        Assert.Null(route.Redirect(out var first));
        Assert.Null(route.Redirect(out var again));
        route.Policies(out var policies);

        Assert.Equal(IngressLabels.RedirectScheme, Assert.Single(first).Label);
        Assert.Equal(first, again);
        Assert.Equal(IngressLabels.Compress, Assert.Single(policies).Label);
    }

    [Fact]
    public void EveryReader_NoMetadata_NullWithNoError()
    {
        var route = new RouteConfig { RouteId = "r", ClusterId = "c", Match = new RouteMatch { Path = "/" } };

        Assert.Null(route.Hsts(out var errors));
        Assert.Empty(errors);
        Assert.Null(route.Access(out _));
        Assert.Null(route.ClientPolicies(out _));
    }
}
