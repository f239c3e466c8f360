using static Ingress.Gateway.Tests.Common.Swarm;
using Ingress.Gateway.Schema;

namespace Ingress.Gateway.Tests.Schema;

public sealed class LabelParserTests
{
    [Fact]
    public void Parse_Publish_GivesMappingsAndRoundRobin()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=8888:8888, 9000:80"), out var errors);

        Assert.Empty(errors);
        Assert.NotNull(routing);
        Assert.True(routing.Enabled);
        Assert.Equal([new PortMapping(8888, 8888), new PortMapping(9000, 80)], routing.Publish.ToArray());
        Assert.Equal("RoundRobin", routing.LoadBalancingPolicy);
        Assert.Null(routing.Rule);
    }

    [Fact]
    public void Parse_SinglePort_MeansSamePublishedAndTarget()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=8080"), out _);

        Assert.Equal([new PortMapping(8080, 8080)], routing!.Publish.ToArray());
    }

    [Fact]
    public void Parse_HostPathPort_GivesRule()
    {
        var routing = LabelParser.Parse(Labels("ingress.host=Shop.Example.com,*.shop.io", "ingress.path=/api/", "ingress.port=5000", "ingress.lb=least_requests"), out var errors);

        Assert.Empty(errors);
        Assert.Equal(new HttpRule(["*.shop.io", "shop.example.com"], "/api", 5000), routing!.Rule);
        Assert.Equal("LeastRequests", routing.LoadBalancingPolicy);
    }

    [Theory]
    [InlineData("round_robin", "RoundRobin")]
    [InlineData("least_requests", "LeastRequests")]
    [InlineData("power_of_two", "PowerOfTwoChoices")]
    [InlineData("random", "Random")]
    public void Parse_LoadBalancing_MapsToYarpPolicy(string label, string policy)
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80:80", "ingress.lb=" + label), out _);

        Assert.Equal(policy, routing!.LoadBalancingPolicy);
    }

    [Theory]
    [InlineData(null, BackendProtocol.Http1)]
    [InlineData("http", BackendProtocol.Http1)]
    [InlineData("h2c", BackendProtocol.H2c)]
    [InlineData(" H2C ", BackendProtocol.H2c)]
    public void Parse_Scheme_SaysHowTheTasksAreSpokenTo(string? scheme, BackendProtocol expected)
    {
        var labels = scheme is null ? Labels("ingress.publish=80") : Labels("ingress.publish=80", $"ingress.scheme={scheme}");

        var routing = LabelParser.Parse(labels, out var errors);

        Assert.Empty(errors);
        Assert.Equal(expected, routing!.Protocol);
    }

    [Fact]
    public void Parse_EnableFalse_IsDisabledNotInvalid()
    {
        var routing = LabelParser.Parse(Labels("ingress.enable=false", "ingress.publish=80:80"), out var errors);

        Assert.Empty(errors);
        Assert.False(routing!.Enabled);
    }

    [Theory]
    [InlineData("ingress.publish=8888:0", "ingress.publish")]
    [InlineData("ingress.publish=http:80", "ingress.publish")]
    [InlineData("ingress.publish=70000:80", "ingress.publish")]
    [InlineData("ingress.publish=80:80,80:81", "published twice")]
    [InlineData("ingress.lb=fastest", "ingress.lb")]
    [InlineData("ingress.scheme=https", "expected http or h2c")]
    [InlineData("ingress.scheme=grpc", "ingress.scheme")]
    [InlineData("ingress.enable=maybe", "ingress.enable")]
    [InlineData("ingress.pubish=80:80", "unknown label")]
    [InlineData("ingress.port=80", "ingress.port")]
    [InlineData("ingress.network=backend", "no route")]
    public void Parse_InvalidLabel_ReturnsNullWithErrorNamingIt(string label, string expected)
    {
        var routing = LabelParser.Parse(Labels(label), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ingress.host=bad host", "ingress.host")]
    [InlineData("ingress.host=a..b", "ingress.host")]
    [InlineData("ingress.path=api", "ingress.path")]
    [InlineData("ingress.path=/a/{id}", "ingress.path")]
    public void Parse_InvalidRule_ReturnsNull(string label, string expected)
    {
        var routing = LabelParser.Parse(Labels(label, "ingress.port=80"), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.Label == expected);
    }

    [Fact]
    public void Parse_RuleWithoutPort_AsksForIt()
    {
        var routing = LabelParser.Parse(Labels("ingress.host=example.com"), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.Label == "ingress.port" && e.Reason.Contains("required", StringComparison.Ordinal));
    }
}
