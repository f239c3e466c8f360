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

    [Fact]
    public void Parse_RedirectScheme_IsPermanentByDefault_WithNoHostOrPort()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", "ingress.redirect.scheme= HTTPS "), out var errors);

        Assert.Empty(errors);
        Assert.Equal(new RedirectRule("https", null, null, Permanent: true), routing!.Redirect);
        Assert.True(routing.Redirect!.RedirectsCleartext);
        Assert.Null(routing.Hsts);
    }

    [Fact]
    public void Parse_RedirectHostPortAndTemporary_AreAllKept()
    {
        var routing = LabelParser.Parse(
            Labels("ingress.publish=80", "ingress.redirect.host=Example.COM", "ingress.redirect.port=8443", "ingress.redirect.permanent=false"), out var errors);

        Assert.Empty(errors);
        Assert.Equal(new RedirectRule(null, "example.com", 8443, Permanent: false), routing!.Redirect);
        Assert.True(routing.Redirect!.RedirectsCleartext);
    }

    [Fact]
    public void Parse_RedirectToHttpOnly_DoesNotRedirectCleartext()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", "ingress.redirect.scheme=http"), out _);

        Assert.False(routing!.Redirect!.RedirectsCleartext);
    }

    [Theory]
    [InlineData(new[] { "ingress.hsts.maxage=31536000" }, "max-age=31536000")]
    [InlineData(new[] { "ingress.hsts.maxage=0" }, "max-age=0")]
    [InlineData(new[] { "ingress.hsts.maxage=300", "ingress.hsts.includesubdomains=true" }, "max-age=300; includeSubDomains")]
    [InlineData(new[] { "ingress.hsts.maxage=63072000", "ingress.hsts.includesubdomains=True", "ingress.hsts.preload=true" }, "max-age=63072000; includeSubDomains; preload")]
    [InlineData(new[] { "ingress.hsts.maxage=300", "ingress.hsts.includesubdomains=false", "ingress.hsts.preload=false" }, "max-age=300")]
    public void Parse_Hsts_GivesTheHeaderAspNetCoreWrites(string[] labels, string header)
    {
        var routing = LabelParser.Parse(Labels(["ingress.publish=80", .. labels]), out var errors);

        Assert.Empty(errors);
        Assert.Equal(header, routing!.Hsts!.HeaderValue);
    }

    [Theory]
    [InlineData(new[] { "ingress.redirect.scheme=ftp" }, "ingress.redirect.scheme", "expected https or http")]
    [InlineData(new[] { "ingress.redirect.scheme=https", "ingress.redirect.port=0" }, "ingress.redirect.port", "1-65535")]
    [InlineData(new[] { "ingress.redirect.scheme=https", "ingress.redirect.port=70000" }, "ingress.redirect.port", "1-65535")]
    [InlineData(new[] { "ingress.redirect.scheme=https", "ingress.redirect.permanent=yes" }, "ingress.redirect.permanent", "true (308) or false (307)")]
    [InlineData(new[] { "ingress.redirect.host=bad host" }, "ingress.redirect.host", "one host name")]
    [InlineData(new[] { "ingress.redirect.host=*.example.com" }, "ingress.redirect.host", "without a port or a wildcard")]
    [InlineData(new[] { "ingress.redirect.host=example.com:8443" }, "ingress.redirect.host", "without a port")]
    [InlineData(new[] { "ingress.redirect.port=443" }, "ingress.redirect.port", "needs ingress.redirect.scheme or ingress.redirect.host")]
    [InlineData(new[] { "ingress.redirect.permanent=false" }, "ingress.redirect.permanent", "needs ingress.redirect.scheme")]
    [InlineData(new[] { "ingress.hsts.maxage=-1" }, "ingress.hsts.maxage", "whole seconds")]
    [InlineData(new[] { "ingress.hsts.maxage=1y" }, "ingress.hsts.maxage", "whole seconds")]
    [InlineData(new[] { "ingress.hsts.maxage=99999999999" }, "ingress.hsts.maxage", "whole seconds")]
    [InlineData(new[] { "ingress.hsts.maxage=300", "ingress.hsts.includesubdomains=1" }, "ingress.hsts.includesubdomains", "true or false")]
    [InlineData(new[] { "ingress.hsts.includesubdomains=true" }, "ingress.hsts.includesubdomains", "needs ingress.hsts.maxage")]
    [InlineData(new[] { "ingress.hsts.maxage=31536000", "ingress.hsts.preload=true" }, "ingress.hsts.preload", "includesubdomains=true")]
    [InlineData(new[] { "ingress.hsts.maxage=300", "ingress.hsts.includesubdomains=true", "ingress.hsts.preload=true" }, "ingress.hsts.preload", "at least 31536000")]
    [InlineData(new[] { "ingress.redirect.scheme=http", "ingress.hsts.maxage=300" }, "ingress.redirect.scheme", "would loop")]
    public void Parse_InvalidRedirectOrHsts_ReturnsNullWithTheLabelAndReason(string[] labels, string label, string reason)
    {
        var routing = LabelParser.Parse(Labels(["ingress.publish=80", .. labels]), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.Label == label && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void ParseRedirectAndHsts_TheirOwnLabels_ReadBackWhatTheyWrote()
    {
        var redirect = new RedirectRule("https", "example.com", 8443, Permanent: false);
        var hsts = new HstsPolicy(31536000, IncludeSubDomains: true, Preload: true);
        var metadata = redirect.ToLabels().Concat(hsts.ToLabels()).ToDictionary(p => p.Key, p => p.Value);

        Assert.Equal(redirect, LabelParser.ParseRedirect(metadata, out var redirectErrors));
        Assert.Equal(hsts, LabelParser.ParseHsts(metadata, out var hstsErrors));
        Assert.Empty(redirectErrors);
        Assert.Empty(hstsErrors);
    }

    [Fact]
    public void Parse_PolicyLabels_GivesStripAddHeadersAndCompression()
    {
        var routing = LabelParser.Parse(Labels(
            "ingress.path=/v1/", "ingress.port=80", "ingress.path.strip=true", "ingress.path.add=/api/",
            "ingress.request.headers.set.X-Env=prod", "ingress.request.headers.add.X-Tag= a b ", "ingress.request.headers.remove=Cookie, X-Debug",
            "ingress.response.headers.set.X-Frame-Options=DENY", "ingress.response.headers.add.Cache-Control=no-store", "ingress.response.headers.remove=Server",
            "ingress.compress=true"), out var errors);

        Assert.Empty(errors);
        var policies = routing!.Policies!;
        Assert.Equal("/v1", policies.StripPrefix);
        Assert.Equal("/api", policies.AddPrefix);
        Assert.Equal([new("X-Env", "prod")], policies.Request.Set.ToArray());
        Assert.Equal([new("X-Tag", "a b")], policies.Request.Add.ToArray());
        Assert.Equal(["Cookie", "X-Debug"], policies.Request.Remove.ToArray());
        Assert.Equal([new("X-Frame-Options", "DENY")], policies.Response.Set.ToArray());
        Assert.Equal([new("Cache-Control", "no-store")], policies.Response.Add.ToArray());
        Assert.Equal(["Server"], policies.Response.Remove.ToArray());
        Assert.True(policies.Compress);
    }

    [Theory]
    [InlineData("ingress.path.strip=false")]
    [InlineData("ingress.compress=false")]
    [InlineData("ingress.enable=true")]
    public void Parse_NoPolicyOrPoliciesSwitchedOff_GivesNoPolicies(string label)
    {
        var routing = LabelParser.Parse(Labels("ingress.path=/v1", "ingress.port=80", label), out var errors);

        Assert.Empty(errors);
        Assert.Null(routing!.Policies);
    }

    [Theory]
    [InlineData(new[] { "ingress.publish=80", "ingress.path.strip=true" }, "ingress.path.strip", "needs a valid ingress.path")]
    [InlineData(new[] { "ingress.path=/", "ingress.port=80", "ingress.path.strip=true" }, "ingress.path.strip", "nothing to strip")]
    [InlineData(new[] { "ingress.publish=80", "ingress.path.strip=yes" }, "ingress.path.strip", "true or false")]
    [InlineData(new[] { "ingress.publish=80", "ingress.path.add=api" }, "ingress.path.add", "path prefix")]
    [InlineData(new[] { "ingress.publish=80", "ingress.path.add=/a%20b" }, "ingress.path.add", "no '%'")]
    [InlineData(new[] { "ingress.publish=80", "ingress.path.add=/a?b" }, "ingress.path.add", "path prefix")]
    [InlineData(new[] { "ingress.publish=80", "ingress.path.add=/" }, "ingress.path.add", "adds nothing")]
    [InlineData(new[] { "ingress.publish=80", "ingress.compress=gzip" }, "ingress.compress", "true or false")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.X Y=1" }, "ingress.request.headers.set.X Y", "RFC 9110 token")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.X:Y=1" }, "ingress.request.headers.set.X:Y", "RFC 9110 token")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.=1" }, "ingress.request.headers.set.", "no header name")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.X-A=a\r\nX-B: b" }, "ingress.request.headers.set.X-A", "CR, LF or NUL")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.add.X-A=a\nb" }, "ingress.response.headers.add.X-A", "CR, LF or NUL")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.set.X-A=a\0b" }, "ingress.response.headers.set.X-A", "CR, LF or NUL")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.set.X-A=caf\u00e9" }, "ingress.response.headers.set.X-A", "printable ASCII")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.set.X-A=" }, "ingress.response.headers.set.X-A", "empty value")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.Host=evil.test" }, "ingress.request.headers.set.Host", "Host to the replica's address")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.remove=host" }, "ingress.request.headers.remove", "Host")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.Connection=close" }, "ingress.request.headers.set.Connection", "hop-by-hop")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.set.Transfer-Encoding=chunked" }, "ingress.response.headers.set.Transfer-Encoding", "hop-by-hop")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.remove=Keep-Alive" }, "ingress.response.headers.remove", "hop-by-hop")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.add.Upgrade=websocket" }, "ingress.request.headers.add.Upgrade", "hop-by-hop")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.set.Content-Length=5" }, "ingress.response.headers.set.Content-Length", "frames the message")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.X-Forwarded-For=1.2.3.4" }, "ingress.request.headers.set.X-Forwarded-For", "written by the gateway")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.set.X-A=1", "ingress.request.headers.remove=x-a" }, "ingress.request.headers.remove", "changed by ingress.request.headers.set.X-A too")]
    [InlineData(new[] { "ingress.publish=80", "ingress.response.headers.set.X-A=1", "ingress.response.headers.add.x-a=2" }, "ingress.response.headers.set.X-A", "changed by ingress.response.headers.add.x-a too")]
    [InlineData(new[] { "ingress.publish=80", "ingress.request.headers.remove=A,,B" }, "ingress.request.headers.remove", "no header name")]
    [InlineData(new[] { "ingress.publish=80", "ingress.headers.set.X-A=1" }, "ingress.headers.set.X-A", "unknown label")]
    public void Parse_InvalidPolicy_ReturnsNullWithTheLabelAndReason(string[] labels, string label, string reason)
    {
        var routing = LabelParser.Parse(Labels(labels), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.Label == label && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ingress.response.headers.set.Host=edge")]
    [InlineData("ingress.response.headers.set.X-Forwarded-For=edge")]
    [InlineData("ingress.request.headers.set.X_Legacy=1")]
    [InlineData("ingress.response.headers.set.Content-Security-Policy=default-src 'self'; img-src *")]
    public void Parse_HeaderTheGatewayDoesNotOwnInThatDirection_IsAccepted(string label)
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", label), out var errors);

        Assert.Empty(errors);
        Assert.NotNull(routing!.Policies);
    }

    [Fact]
    public void ParsePolicies_TheirOwnLabels_ReadBackWhatTheyWrote()
    {
        var policies = new RoutePolicies("/v1", "/api",
            new HeaderPolicy([new("X-Env", "prod")], [new("X-Tag", "a")], ["Cookie", "X-Debug"]),
            new HeaderPolicy([new("X-Frame-Options", "DENY")], [], ["Server"]), Compress: true);
        var metadata = policies.ToLabels().ToDictionary(p => p.Key, p => p.Value);

        Assert.Equal(policies, LabelParser.ParsePolicies(metadata, out var errors));
        Assert.Empty(errors);
        Assert.Equal(policies with { StripPrefix = null }, policies.WithoutStrip());
        Assert.Null(new RoutePolicies("/v1", null, HeaderPolicy.None, HeaderPolicy.None, Compress: false).WithoutStrip());
    }
}
