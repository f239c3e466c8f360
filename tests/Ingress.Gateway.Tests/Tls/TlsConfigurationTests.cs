using Ingress.Gateway.Configuration;
using Ingress.Gateway.Hosting;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Tls;

public sealed class TlsConfigurationTests
{
    [Theory]
    [InlineData("--Ingress:Tls:Ports:0:Port=8888", "Ingress:Tls:Ports:0:Port = 8888 is also a plain entry port")]
    [InlineData("--Ingress:Tls:Ports:0:Port=8080", "Ingress:Tls:Ports:0:Port = 8080 is also the admin or control port")]
    [InlineData("--Ingress:Tls:Ports:0:Port=70000", "Ingress:Tls:Ports:0:Port = 70000 is not a TCP port")]
    public void Build_TlsPortClashingOrInvalid_ThrowsNamingTheKey(string argument, string expected)
    {
        using var folder = new TestCertificates();

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([argument, $"--Ingress:Tls:CertificatesPath={folder.Folder}"]));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Build_TlsPortServingAnUnknownEntryPort_ThrowsNamingTheKey()
    {
        using var folder = new TestCertificates();

        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:Tls:Ports:0:Port=8443", "--Ingress:Tls:Ports:0:Routes=9999", $"--Ingress:Tls:CertificatesPath={folder.Folder}"]));

        Assert.Contains("Ingress:Tls:Ports:0:Routes = 9999 is not an entry port", ex.Message);
    }

    [Fact]
    public void Build_MissingCertificateFolder_ThrowsNamingTheKey()
    {
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayApplication.Build([
            "--Ingress:Tls:Ports:0:Port=8443", "--Ingress:Tls:CertificatesPath=/nonexistent/certificates"]));

        Assert.Contains("Ingress:Tls:CertificatesPath = '/nonexistent/certificates' is not a folder", ex.Message);
    }

    [Fact]
    public void Build_NoTlsPort_NeedsNoCertificateFolder()
    {
        // The default folder, /run/secrets, does not exist outside swarm: a gateway without TLS ports must not care.
        using var app = GatewayApplication.Build(["--Ingress:Tls:CertificatesPath=/nonexistent/certificates"]);

        Assert.NotNull(app);
    }

    [Fact]
    public async Task Request_OnATlsPort_ServesTheRoutesOfTheEntryPortItNames()
    {
        using var certificates = new TestCertificates();
        certificates.WriteCombined("site.pem", "site.test");
        var backends = await TestBackend.StartManyAsync("first", "second");
        var tlsPort = FreePort.Next();
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:first:ClusterId"] = "first",
            ["ReverseProxy:Routes:first:Match:Path"] = "{**catch-all}",
            ["ReverseProxy:Clusters:first:Destinations:d:Address"] = backends[0].Address,
            ["ReverseProxy:Routes:second:ClusterId"] = "second",
            ["ReverseProxy:Routes:second:Match:Path"] = "{**catch-all}",
            ["ReverseProxy:Clusters:second:Destinations:d:Address"] = backends[1].Address,
            ["Ingress:Tls:Ports:0:Port"] = tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ingress:Tls:CertificatesPath"] = certificates.Folder,
        };
        await using var gateway = await GatewayTestHost.StartAsync(settings, entryPortCount: 2, configure: builder =>
        {
            builder.Configuration["ReverseProxy:Routes:first:Metadata:ingress.entryPort"] = builder.Configuration["Ingress:EntryPorts:0"];
            builder.Configuration["ReverseProxy:Routes:second:Metadata:ingress.entryPort"] = builder.Configuration["Ingress:EntryPorts:1"];
            builder.Configuration["Ingress:Tls:Ports:0:Routes"] = builder.Configuration["Ingress:EntryPorts:1"];
        });
        using var client = TlsClient.HttpClient(certificates, tlsPort, System.Net.HttpVersion.Version11);

        Assert.Equal("first", await gateway.Public.GetStringAsync("/"));
        Assert.Equal("second", await client.GetStringAsync($"https://site.test:{tlsPort}/"));
        Assert.Contains($"\"routes\":{gateway.EntryPorts[1]}", await gateway.Admin.GetStringAsync("/api/state"));
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }
}
