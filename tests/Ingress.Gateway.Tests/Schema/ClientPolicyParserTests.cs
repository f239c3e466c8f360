using System.Net;
using Ingress.Gateway.Proxy;
using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Http;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Schema;

/// <summary>The client-policy labels (<c>ingress.ipallowlist</c>, <c>ingress.ratelimit.*</c>, <c>ingress.cors.*</c>) as units: values, canonical metadata, errors.</summary>
public sealed class ClientPolicyParserTests
{
    [Fact]
    public void Parse_AllThree_GivesThePolicies_AndTheirLabelsParseBackToTheSame()
    {
        var labels = Labels(
            "ingress.publish=80", "ingress.ipallowlist=10.0.0.0/8, 192.168.1.7,2001:db8::/32", "ingress.ratelimit.average=100", "ingress.ratelimit.burst=50",
            "ingress.cors.origins=https://App.example.com,https://*.example.org", "ingress.cors.methods=GET,PUT", "ingress.cors.headers=*",
            "ingress.cors.exposeheaders=X-Total", "ingress.cors.credentials=true", "ingress.cors.maxage=600");

        var routing = LabelParser.Parse(labels, out var errors);

        Assert.Empty(errors);
        var policies = routing!.Clients!;
        Assert.Equal("10.0.0.0/8,192.168.1.7/32,2001:db8::/32", policies.AllowList!.ToString());
        Assert.Equal(new RateLimitRule(100, TimeSpan.FromSeconds(1), 50), policies.RateLimit);
        Assert.Equal(["https://app.example.com", "https://*.example.org"], policies.Cors!.Origins.ToArray());
        Assert.Equal([CorsRule.Any], policies.Cors.Headers.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(600), policies.Cors.MaxAge);
        var metadata = policies.ToLabels().ToDictionary(l => l.Key, l => l.Value);
        Assert.Equal(policies, ClientPolicyParser.Parse(metadata, out var again));
        Assert.Empty(again);
    }

    [Theory]
    [InlineData(100, "1s", 10)]
    [InlineData(5, "1s", 1)]
    [InlineData(1, "10s", 1)]
    [InlineData(6000, "1m", 10)]
    public void Parse_RateLimitWithoutBurst_TakesTheLeastBurstThatReachesTheAverage(int average, string period, int burst)
    {
        var policies = ClientPolicyParser.Parse(Labels($"ingress.ratelimit.average={average}", $"ingress.ratelimit.period={period}"), out var errors);

        Assert.Empty(errors);
        Assert.Equal(burst, policies!.RateLimit!.Burst);
    }

    [Theory]
    [InlineData("ingress.ipallowlist=10.0.0.0/33", "ingress.ipallowlist", "is not an IP address or a CIDR range")]
    [InlineData("ingress.ipallowlist=300.1.1.1", "ingress.ipallowlist", "is not an IP address")]
    [InlineData("ingress.ipallowlist=example.com", "ingress.ipallowlist", "is not an IP address")]
    [InlineData("ingress.ipallowlist= ", "ingress.ipallowlist", "no address or range")]
    [InlineData("ingress.ratelimit.average=0", "ingress.ratelimit.average", "1 or more")]
    [InlineData("ingress.ratelimit.average=ten", "ingress.ratelimit.average", "1 or more")]
    [InlineData("ingress.ratelimit.burst=5", "ingress.ratelimit.burst", "needs ingress.ratelimit.average")]
    [InlineData("ingress.ratelimit.period=1s", "ingress.ratelimit.period", "needs ingress.ratelimit.average")]
    [InlineData("ingress.cors.methods=GET", "ingress.cors.methods", "needs ingress.cors.origins")]
    [InlineData("ingress.cors.origins=https://app.test/path", "ingress.cors.origins", "is not an origin")]
    [InlineData("ingress.cors.origins=ftp://app.test", "ingress.cors.origins", "is not an origin")]
    [InlineData("ingress.cors.origins=https://a.test,*", "ingress.cors.origins", "'*' means any: give it alone")]
    [InlineData("ingress.cors.origins=https://a.test;ingress.cors.methods=GET PUT", "ingress.cors.methods", "is not an HTTP method")]
    [InlineData("ingress.cors.origins=https://a.test;ingress.cors.exposeheaders=*", "ingress.cors.exposeheaders", "'*' is not allowed here")]
    [InlineData("ingress.cors.origins=https://a.test;ingress.cors.maxage=-1", "ingress.cors.maxage", "whole seconds")]
    [InlineData("ingress.cors.origins=*;ingress.cors.credentials=true", "ingress.cors.credentials", "not with ingress.cors.origins=*")]
    [InlineData("ingress.cors.origins=https://a.test;ingress.cors.credentials=yes", "ingress.cors.credentials", "expected true or false")]
    public void Parse_BadValue_IsALabelErrorWithTheKeyAndReason(string pairs, string key, string reason)
    {
        var routing = LabelParser.Parse(Labels(["ingress.publish=80", .. pairs.Split(';')]), out var errors);

        Assert.Null(routing);
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Label);
        Assert.Contains(reason, error.Reason);
    }

    [Fact]
    public void Parse_RateLimitBurstBelowOneRefill_IsRefused_WithTheLeastThatWorks()
    {
        ClientPolicyParser.Parse(Labels("ingress.ratelimit.average=1000", "ingress.ratelimit.burst=5"), out var errors);

        var error = Assert.Single(errors);
        Assert.Equal(IngressLabels.RateLimitBurst, error.Label);
        Assert.Contains("at least 100", error.Reason);
    }

    [Fact]
    public void Parse_RangeWithHostBits_IsTheNetwork_AsTraefikReadsIt()
    {
        var list = ClientPolicyParser.Parse(Labels("ingress.ipallowlist=10.1.2.3/8"), out var errors)!.AllowList!;

        Assert.Empty(errors);
        Assert.Equal("10.0.0.0/8", list.ToString());
        Assert.True(list.Allows(IPAddress.Parse("10.200.0.1")));
    }

    [Fact]
    public void Parse_NoClientPolicyLabel_GivesNone()
    {
        Assert.Null(LabelParser.Parse(Labels("ingress.publish=80", "ingress.compress=true"), out _)!.Clients);
    }

    [Theory]
    [InlineData("::ffff:10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("::ffff:11.1.2.3", "10.0.0.0/8", false)]
    [InlineData("2001:db8::1", "2001:db8::/32", true)]
    [InlineData("2001:db9::1", "2001:db8::/32", false)]
    [InlineData("::ffff:192.168.1.7", "192.168.1.7", true)]
    public void AllowList_IPv4MappedClient_MatchesIPv4Ranges_AsIPNetworkDoesIt(string remote, string allowList, bool allowed)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        var list = ClientPolicyParser.Parse(Labels($"ingress.ipallowlist={allowList}"), out _)!.AllowList!;

        Assert.Equal(allowed, list.Allows(ClientAddress.Of(context)));
    }
}
