using System.Diagnostics;
using System.Net;
using Ingress.Hostname.Serving;
using Ingress.Hostname.Shutdown;
using Ingress.Hostname.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Ingress.Hostname.Tests.Serving;

public sealed class HostnameEndpointTests
{
    [Fact]
    public async Task HandleAsync_Healthz_Answers200()
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);

        using var response = await server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.NotEqual(true, response.Headers.ConnectionClose);
    }

    [Fact]
    public async Task HandleAsync_Draining_HealthzAnswers503AndRequestsStillServedOnClosingConnections()
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);
        Assert.True(server.App.Services.GetRequiredService<DrainState>().TryBeginDrain());

        using var health = await server.Client.GetAsync("/healthz");
        using var request = await server.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("draining", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, request.StatusCode);
        Assert.Equal("replica-1", await request.Content.ReadAsStringAsync());
        Assert.True(request.Headers.ConnectionClose);
    }

    [Fact]
    public async Task HandleAsync_DelayWithinBounds_AnswersNameAfterDelay()
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);
        var stopwatch = Stopwatch.StartNew();

        using var response = await server.Client.GetAsync("/slow?delay=300");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("replica-1", await response.Content.ReadAsStringAsync());
        // Timers may fire a tick early; the point is that the answer waited, not its precision.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("delay=0")]
    [InlineData("other=1&delay=1")]
    public async Task HandleAsync_SmallDelay_AnswersName(string query)
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);

        using var response = await server.Client.GetAsync("/?" + query);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("replica-1", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("delay=banana")]
    [InlineData("delay=")]
    [InlineData("delay=-1")]
    [InlineData("delay=30001")]
    [InlineData("delay=1.5")]
    [InlineData("delay=99999999999")]
    [InlineData("delay=1&delay=2")]
    public async Task HandleAsync_InvalidDelay_Answers400WithReason(string query)
    {
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"]);

        using var response = await server.Client.GetAsync("/?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HostnameEndpoint.InvalidDelayMessage, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1500", 1500)]
    [InlineData("30000", 30000)]
    public void TryParseDelay_WithinBounds_ReturnsMilliseconds(string value, int expectedMilliseconds)
    {
        Assert.True(HostnameEndpoint.TryParseDelay(new StringValues(value), out var delay));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), delay);
    }

    [Theory]
    [InlineData("30001")]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData(" 5")]
    [InlineData("5ms")]
    [InlineData("")]
    public void TryParseDelay_OutOfBoundsOrJunk_ReturnsFalse(string value)
    {
        Assert.False(HostnameEndpoint.TryParseDelay(new StringValues(value), out _));
    }

    [Fact]
    public void TryParseDelay_RepeatedParameter_ReturnsFalse()
    {
        Assert.False(HostnameEndpoint.TryParseDelay(new StringValues(["1", "2"]), out _));
    }
}
