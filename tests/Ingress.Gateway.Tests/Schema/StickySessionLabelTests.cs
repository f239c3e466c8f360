using Ingress.Gateway.Routing;
using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.SessionAffinity;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Schema;

/// <summary>The <c>ingress.sticky*</c> labels: parsed with the rest of the labels, and mapped to YARP's HashCookie affinity.</summary>
public sealed class StickySessionLabelTests
{
    [Fact]
    public void Parse_StickyTrue_GivesTheDefaultCookie()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", "ingress.sticky=true"), out var errors);

        Assert.Empty(errors);
        Assert.Equal(new StickySession("ingress_sticky", Secure: null, HttpOnly: true, SameSiteMode.Lax), routing!.Sticky);
    }

    [Theory]
    [InlineData("ingress.sticky=false")]
    [InlineData("ingress.enable=true")]
    public void Parse_NotSticky_GivesNoStickySession(string label)
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", label), out var errors);

        Assert.Empty(errors);
        Assert.Null(routing!.Sticky);
    }

    [Fact]
    public void Parse_CookieLabels_AreTheCookie()
    {
        var routing = LabelParser.Parse(Labels("ingress.publish=80", "ingress.sticky=TRUE", "ingress.sticky.cookie=route",
            "ingress.sticky.secure=true", "ingress.sticky.httponly=false", "ingress.sticky.samesite=None"), out var errors);

        Assert.Empty(errors);
        Assert.Equal(new StickySession("route", Secure: true, HttpOnly: false, SameSiteMode.None), routing!.Sticky);
    }

    [Theory]
    [InlineData(new[] { "ingress.sticky=yes" }, "ingress.sticky", "true or false")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.cookie=a b" }, "ingress.sticky.cookie", "RFC 6265 token")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.cookie=" }, "ingress.sticky.cookie", "RFC 6265 token")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.secure=1" }, "ingress.sticky.secure", "true or false")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.httponly=no" }, "ingress.sticky.httponly", "true or false")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.samesite=loose" }, "ingress.sticky.samesite", "none, lax or strict")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.samesite=none" }, "ingress.sticky.samesite", "needs ingress.sticky.secure=true")]
    [InlineData(new[] { "ingress.sticky.cookie=route" }, "ingress.sticky.cookie", "needs ingress.sticky=true")]
    [InlineData(new[] { "ingress.sticky=false", "ingress.sticky.secure=true" }, "ingress.sticky.secure", "needs ingress.sticky=true")]
    [InlineData(new[] { "ingress.sticky=true", "ingress.sticky.name=route" }, "ingress.sticky.name", "unknown label")]
    public void Parse_InvalidStickyLabel_ReturnsNullWithTheLabelAndReason(string[] labels, string label, string reason)
    {
        var routing = LabelParser.Parse(Labels(["ingress.publish=80", .. labels]), out var errors);

        Assert.Null(routing);
        Assert.Contains(errors, e => e.Label == label && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void For_StickySession_IsHashCookieAffinityThatRedistributes()
    {
        var affinity = StickyAffinity.For(new StickySession("route", Secure: null, HttpOnly: true, SameSiteMode.Strict))!;

        Assert.True(affinity.Enabled);
        // HashCookie: every gateway reads every other gateway's cookie (no per-gateway Data Protection keys).
        Assert.Equal(SessionAffinityConstants.Policies.HashCookie, affinity.Policy);
        Assert.Equal(SessionAffinityConstants.FailurePolicies.Redistribute, affinity.FailurePolicy);
        Assert.Equal("route", affinity.AffinityKeyName);
        Assert.Equal(CookieSecurePolicy.SameAsRequest, affinity.Cookie!.SecurePolicy);
        Assert.Equal(SameSiteMode.Strict, affinity.Cookie.SameSite);
        Assert.True(affinity.Cookie.HttpOnly);
        Assert.Null(StickyAffinity.For(null));
    }
}
