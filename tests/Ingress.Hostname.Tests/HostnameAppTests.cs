using System.Net;
using Ingress.Hostname.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Ingress.Hostname.Tests;

public sealed class HostnameAppTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/anything")]
    [InlineData("/deep/path/file.txt")]
    [InlineData("/index.html?x=1")]
    [InlineData("/healthz/extra")]
    public async Task Get_AnyPath_AnswersConfiguredNameAsPlainTextWithoutNewline(string path)
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);

        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("replica-1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_AnyPath_AnswersNameLikeGoHandler()
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);

        using var response = await server.Client.PostAsync("/submit", new StringContent("ignored"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("replica-1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_NameNotConfigured_AnswersMachineName()
    {
        await using var server = await InProcessHostname.StartAsync();

        var body = await server.Client.GetStringAsync("/");

        Assert.Equal(Environment.MachineName, body);
    }

    [Fact]
    public async Task Get_Any_SendsNoServerHeader()
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);

        using var response = await server.Client.GetAsync("/");

        Assert.Empty(response.Headers.Server);
    }

    [Fact]
    public async Task Build_NoAddressOnCommandLine_ListensWhereGoServiceDoesUnlessEnvironmentSaysOtherwise()
    {
        // The official .NET images set ASPNETCORE_HTTP_PORTS=8080; where the test runs in one, that must win.
        var environment = new ConfigurationBuilder().AddEnvironmentVariables("ASPNETCORE_").AddEnvironmentVariables("DOTNET_").Build();

        await using var app = HostnameApp.Build([], TextWriter.Null);

        if (HostnameApp.HasConfiguredAddress(environment))
        {
            Assert.NotEqual(HostnameApp.DefaultUrl, app.Configuration["urls"]);
        }
        else
        {
            Assert.Equal(HostnameApp.DefaultUrl, app.Configuration["urls"]);
        }
    }

    [Fact]
    public async Task Build_UrlsOnCommandLine_KeepsThem()
    {
        await using var app = HostnameApp.Build(["--urls", "http://127.0.0.1:5005"], TextWriter.Null);

        Assert.Equal("http://127.0.0.1:5005", app.Configuration["urls"]);
    }

    [Theory]
    [InlineData("urls", "http://127.0.0.1:5000")]
    [InlineData("http_ports", "8080")]
    [InlineData("https_ports", "8443")]
    [InlineData("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:5000")]
    public void HasConfiguredAddress_AspNetCoreSetting_ReturnsTrue(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();

        Assert.True(HostnameApp.HasConfiguredAddress(configuration));
    }

    [Fact]
    public void HasConfiguredAddress_NoSetting_ReturnsFalse()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Hostname:Name", "x")]).Build();

        Assert.False(HostnameApp.HasConfiguredAddress(configuration));
    }
}
