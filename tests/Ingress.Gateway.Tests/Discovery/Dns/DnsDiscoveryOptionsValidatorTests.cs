using Ingress.Gateway.Configuration;
using Ingress.Gateway.Discovery.Dns;
using Ingress.Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Ingress.Gateway.Tests.Discovery.Dns;

public sealed class DnsDiscoveryOptionsValidatorTests
{
    /// <summary>Builds the gateway with <paramref name="args"/>, and parses its one DNS service's labels as discovery does.</summary>
    private static async Task<(Ingress.Gateway.Schema.ServiceRouting? Routing, System.Collections.Immutable.ImmutableArray<Ingress.Gateway.Schema.LabelError> Errors)> ParseOnlyServiceAsync(string[] args)
    {
        await using var app = GatewayApplication.Build(args);
        var labels = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DnsDiscoveryOptions>>().Value.Services.Single().ToLabels();
        var routing = Ingress.Gateway.Schema.LabelParser.Parse(labels, out var errors);
        return (routing, errors);
    }

    private static DnsDiscoveryOptions Valid() => new()
    {
        Enabled = true,
        Services = [new DnsServiceOptions { Name = "web", Publish = "8888:80" }],
    };

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new DnsDiscoveryOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Theory]
    [InlineData(nameof(DnsDiscoveryOptions.RefreshInterval), "-00:00:01")]
    [InlineData(nameof(DnsDiscoveryOptions.RefreshInterval), "00:00:00")]
    [InlineData(nameof(DnsDiscoveryOptions.RefreshInterval), "1.00:00:00")]
    [InlineData(nameof(DnsDiscoveryOptions.LookupTimeout), "-00:00:01")]
    [InlineData(nameof(DnsDiscoveryOptions.LookupTimeout), "00:00:00")]
    [InlineData(nameof(DnsDiscoveryOptions.LookupTimeout), "00:05:00")]
    [InlineData(nameof(DnsDiscoveryOptions.MaxRetryDelay), "-00:00:01")]
    [InlineData(nameof(DnsDiscoveryOptions.MaxRetryDelay), "00:00:00")]
    [InlineData(nameof(DnsDiscoveryOptions.MaxRetryDelay), "1.00:00:00")]
    public void Validate_TimingOutOfRange_FailsNamingTheKey(string key, string value)
    {
        var options = Valid();
        var timing = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        switch (key)
        {
            case nameof(DnsDiscoveryOptions.RefreshInterval): options.RefreshInterval = timing; break;
            case nameof(DnsDiscoveryOptions.LookupTimeout): options.LookupTimeout = timing; break;
            default: options.MaxRetryDelay = timing; break;
        }

        var result = new DnsDiscoveryOptionsValidator().Validate(null, options);

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Ingress:Discovery:Dns:{key} = {timing} must be positive", failure);
    }

    [Theory]
    [InlineData("LookupTimeout", "-00:00:01")]
    [InlineData("LookupTimeout", "00:00:00")]
    [InlineData("MaxRetryDelay", "-00:00:01")]
    [InlineData("MaxRetryDelay", "00:00:00")]
    [InlineData("RefreshInterval", "-00:00:02")]
    public void Build_InvalidDnsTiming_ThrowsNamingTheKey(string key, string value)
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=web",
            "--Ingress:Discovery:Dns:Services:0:Publish=8888:80",
            $"--Ingress:Discovery:Dns:{key}={value}",
        ]));

        Assert.Contains($"Ingress:Discovery:Dns:{key} = ", ex.Message);
        Assert.Contains("must be positive", ex.Message);
    }

    [Fact]
    public async Task Build_DnsServiceRedirectAndHsts_BindToTheLabelsOfTheSameNames()
    {
        var (routing, errors) = await ParseOnlyServiceAsync([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=web",
            "--Ingress:Discovery:Dns:Services:0:Publish=8888:80",
            "--Ingress:Discovery:Dns:Services:0:Redirect:Scheme=https",
            "--Ingress:Discovery:Dns:Services:0:Redirect:Port=8443",
            "--Ingress:Discovery:Dns:Services:0:Redirect:Permanent=false",
            "--Ingress:Discovery:Dns:Services:0:Hsts:MaxAge=300",
            "--Ingress:Discovery:Dns:Services:0:Hsts:IncludeSubdomains=true",
        ]);

        Assert.Empty(errors);
        Assert.Equal(new Ingress.Gateway.Schema.RedirectRule("https", null, 8443, Permanent: false), routing!.Redirect);
        Assert.Equal("max-age=300; includeSubDomains", routing.Hsts!.HeaderValue);
    }

    [Theory]
    [InlineData("Redirect:Scheme", "ftp", "ingress.redirect.scheme=ftp")]
    [InlineData("Redirect:Host", "*.example.com", "ingress.redirect.host=*.example.com")]
    [InlineData("Hsts:MaxAge", "-5", "ingress.hsts.maxage=-5")]
    [InlineData("RequestHeaders:Set:Host", "evil.test", "ingress.request.headers.set.Host=evil.test")]
    [InlineData("ResponseHeaders:Remove", "Connection", "ingress.response.headers.remove=Connection")]
    [InlineData("PathAdd", "api", "ingress.path.add=api")]
    [InlineData("Labels:ingress.weight", "5000", "ingress.weight=5000")]
    [InlineData("Labels:ingress.cors.credentials", "maybe", "ingress.cors.credentials=maybe")]
    [InlineData("Labels:ingress.nonsense", "1", "ingress.nonsense")]
    [InlineData("Labels:team", "a", "Labels:team is not an ingress.* label")]
    [InlineData("Labels:ingress.publish", "9999:80", "Labels:ingress.publish is also set by an option of its own")]
    public void Build_DnsServiceWithBadRedirectHstsOrPolicy_NamesTheEntryAndTheLabel(string key, string value, string label)
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=web",
            "--Ingress:Discovery:Dns:Services:0:Publish=8888:80",
            $"--Ingress:Discovery:Dns:Services:0:{key}={value}",
        ]));

        Assert.Contains("Ingress:Discovery:Dns:Services:0", ex.Message);
        Assert.Contains(label, ex.Message);
    }

    [Fact]
    public async Task Build_DnsServicePolicies_BindToTheLabelsOfTheSameNames()
    {
        var (routing, errors) = await ParseOnlyServiceAsync([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=web",
            "--Ingress:Discovery:Dns:Services:0:Path=/v1",
            "--Ingress:Discovery:Dns:Services:0:Port=80",
            "--Ingress:Discovery:Dns:Services:0:PathStrip=true",
            "--Ingress:Discovery:Dns:Services:0:PathAdd=/api",
            "--Ingress:Discovery:Dns:Services:0:Compress=true",
            "--Ingress:Discovery:Dns:Services:0:RequestHeaders:Set:X-Env=prod",
            "--Ingress:Discovery:Dns:Services:0:RequestHeaders:Add:X-Tag=gw",
            "--Ingress:Discovery:Dns:Services:0:RequestHeaders:Remove=Cookie",
            "--Ingress:Discovery:Dns:Services:0:ResponseHeaders:Set:X-Frame-Options=DENY",
            "--Ingress:Discovery:Dns:Services:0:ResponseHeaders:Remove=Server",
        ]);

        Assert.Empty(errors);
        Assert.Equal(
            new Ingress.Gateway.Schema.RoutePolicies("/v1", "/api",
                new([new("X-Env", "prod")], [new("X-Tag", "gw")], ["Cookie"]),
                new([new("X-Frame-Options", "DENY")], [], ["Server"]), Compress: true),
            routing!.Policies);
    }

    [Fact]
    public async Task Build_DnsServiceLabels_AnyOtherIngressLabel_ParsedAsTheLabel()
    {
        var (routing, errors) = await ParseOnlyServiceAsync([
            "--Ingress:Discovery:Dns:Enabled=true",
            "--Ingress:Discovery:Dns:Services:0:Name=web",
            "--Ingress:Discovery:Dns:Services:0:Publish=8888:80",
            "--Ingress:Discovery:Dns:Services:0:Labels:ingress.sticky=true",
            "--Ingress:Discovery:Dns:Services:0:Labels:ingress.ratelimit.average=5",
            "--Ingress:Discovery:Dns:Services:0:Labels:ingress.auth.forward.address=http://auth:4181/verify",
        ]);

        Assert.Empty(errors);
        Assert.Equal("ingress_sticky", routing!.Sticky!.CookieName);
        Assert.Equal(5, routing.Clients!.RateLimit!.Average);
        Assert.Equal(new Uri("http://auth:4181/verify"), routing.Access!.Forward!.Address);
    }
}
