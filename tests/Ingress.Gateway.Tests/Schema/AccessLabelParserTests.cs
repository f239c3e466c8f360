using Ingress.Gateway.Schema;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Schema;

/// <summary>The access labels (<c>ingress.auth.basic.*</c>, <c>ingress.auth.forward.*</c>) through the one label parser.</summary>
public sealed class AccessLabelParserTests
{
    [Fact]
    public void Parse_BasicAuth_GivesThePolicyWithDefaults()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=8888:80", "ingress.auth.basic.usersfile=/run/secrets/users"), out var errors);

        Assert.Empty(errors);
        Assert.Equal(new AccessPolicy(new BasicAuthPolicy("/run/secrets/users", "ingress", RemoveHeader: false, HeaderField: null), null), routing!.Access);
    }

    [Fact]
    public void Parse_AllAccessLabels_GiveBothPolicies_AndRoundTripThroughTheirLabels()
    {
        var routing = LabelParser.Parse(Labels(
            "ingress.publish=8888:80",
            "ingress.auth.basic.usersfile=/run/secrets/users",
            "ingress.auth.basic.realm=Staff only",
            "ingress.auth.basic.removeheader=true",
            "ingress.auth.basic.headerfield=X-WebAuth-User",
            "ingress.auth.forward.address=http://auth:4181/verify?x=1",
            "ingress.auth.forward.responseheaders=X-User, X-Roles",
            "ingress.auth.forward.requestheaders=Cookie,Authorization",
            "ingress.auth.forward.trustforwardheader=true",
            "ingress.auth.forward.timeout=1500ms"), out var errors);

        Assert.Empty(errors);
        var access = routing!.Access!;
        Assert.Equal(new BasicAuthPolicy("/run/secrets/users", "Staff only", true, "X-WebAuth-User"), access.Basic);
        var forward = access.Forward!;
        Assert.Equal(new Uri("http://auth:4181/verify?x=1"), forward.Address);
        Assert.Equal(["X-User", "X-Roles"], forward.ResponseHeaders.ToArray());
        Assert.Equal(["Cookie", "Authorization"], forward.RequestHeaders.ToArray());
        Assert.True(forward.TrustForwardHeader);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), forward.Timeout);

        // What discovery writes as route metadata is read back as the same policy.
        var again = AccessLabelParser.Parse(access.ToLabels().ToDictionary(), out var metadataErrors);
        Assert.Empty(metadataErrors);
        Assert.Equal(access, again);
    }

    [Fact]
    public void Parse_ForwardAuthWithoutRequestHeaders_SendsAll_AndRoundTrips()
    {
        var access = AccessLabelParser.Parse(Labels("ingress.auth.forward.address=https://auth.example/check"), out var errors);

        Assert.Empty(errors);
        Assert.True(access!.Forward!.RequestHeaders.IsDefault);
        Assert.Empty(access.Forward.ResponseHeaders);
        Assert.Equal(ForwardAuthPolicy.DefaultTimeout, access.Forward.Timeout);
        Assert.Equal(access, AccessLabelParser.Parse(access.ToLabels().ToDictionary(), out _));
    }

    [Theory]
    [InlineData("ingress.auth.basic.usersfile=users.htpasswd", "ingress.auth.basic.usersfile", "absolute path")]
    [InlineData("ingress.auth.basic.usersfile=/run/secrets/", "ingress.auth.basic.usersfile", "absolute path")]
    [InlineData("ingress.auth.basic.realm=a\"b", "ingress.auth.basic.realm", "printable ASCII")]
    [InlineData("ingress.auth.basic.removeheader=yes", "ingress.auth.basic.removeheader", "true or false")]
    [InlineData("ingress.auth.basic.headerfield=X User", "ingress.auth.basic.headerfield", "not a header name")]
    [InlineData("ingress.auth.basic.headerfield=Host", "ingress.auth.basic.headerfield", "Host")]
    [InlineData("ingress.auth.basic.headerfield=Authorization", "ingress.auth.basic.headerfield", "Authorization")]
    public void Parse_BadBasicAuthLabel_SkipsTheServiceWithTheLabelAndReason(string label, string key, string reason)
    {
        var labels = Labels("ingress.publish=8888:80", "ingress.auth.basic.usersfile=/run/secrets/users");
        var (key0, value) = (label.Split('=', 2)[0], label.Split('=', 2)[1]);
        labels[key0] = value;

        var routing = LabelParser.Parse(labels, out var errors);

        Assert.Null(routing);
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Label);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ingress.auth.forward.address=auth:4181/verify", "ingress.auth.forward.address", "absolute http or https URL")]
    [InlineData("ingress.auth.forward.address=ftp://auth/verify", "ingress.auth.forward.address", "absolute http or https URL")]
    [InlineData("ingress.auth.forward.address=http://user:pw@auth/verify", "ingress.auth.forward.address", "without user info")]
    [InlineData("ingress.auth.forward.responseheaders=X-User,Content-Length", "ingress.auth.forward.responseheaders", "Content-Length")]
    [InlineData("ingress.auth.forward.responseheaders=X-Forwarded-For", "ingress.auth.forward.responseheaders", "written by the gateway")]
    [InlineData("ingress.auth.forward.requestheaders=Connection", "ingress.auth.forward.requestheaders", "hop-by-hop")]
    [InlineData("ingress.auth.forward.requestheaders= , ", "ingress.auth.forward.requestheaders", "expected header names")]
    [InlineData("ingress.auth.forward.trustforwardheader=1", "ingress.auth.forward.trustforwardheader", "true or false")]
    [InlineData("ingress.auth.forward.timeout=2h", "ingress.auth.forward.timeout", "between 1ms and 1m")]
    public void Parse_BadForwardAuthLabel_SkipsTheServiceWithTheLabelAndReason(string label, string key, string reason)
    {
        var labels = Labels("ingress.publish=8888:80", "ingress.auth.forward.address=http://auth:4181/verify");
        var (key0, value) = (label.Split('=', 2)[0], label.Split('=', 2)[1]);
        labels[key0] = value;

        var routing = LabelParser.Parse(labels, out var errors);

        Assert.Null(routing);
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Label);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ingress.auth.basic.realm=x", "ingress.auth.basic.usersfile")]
    [InlineData("ingress.auth.basic.headerfield=X-User", "ingress.auth.basic.usersfile")]
    [InlineData("ingress.auth.forward.responseheaders=X-User", "ingress.auth.forward.address")]
    [InlineData("ingress.auth.forward.timeout=1s", "ingress.auth.forward.address")]
    public void Parse_AccessOptionWithoutItsPolicy_IsAnError(string label, string needed)
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=8888:80", label), out var errors);

        Assert.Null(routing);
        Assert.Contains($"needs {needed}", Assert.Single(errors).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownAuthLabel_IsAnError()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=8888:80", "ingress.auth.basic.users=alice:x"), out var errors);

        Assert.Null(routing);
        Assert.Contains("unknown label", Assert.Single(errors).Reason, StringComparison.Ordinal);
    }
}
