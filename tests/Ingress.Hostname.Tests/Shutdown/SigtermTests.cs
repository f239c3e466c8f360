using System.Net;
using Ingress.Hostname.Tests.Infrastructure;
using Ingress.Testing;

namespace Ingress.Hostname.Tests.Shutdown;

/// <summary>The drain as Swarm triggers it: a real process, a real SIGTERM, requests in flight.</summary>
public sealed class SigtermTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Sigterm_WithRequestsInFlight_DrainsServesEveryRequestAndExitsZero()
    {
        // ASP.NET Core's "Request starting" line (on stderr, as all of the service's diagnostics) says when a request is in.
        await using var process = HostnameProcess.Start(
            "--Hostname:Name=x", "--Hostname:DrainDelay=00:00:02", "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information");
        using var client = process.CreateClient();
        await process.WaitUntilServingAsync(client, StartTimeout);

        var inFlightAtSignal = client.GetAsync("/?delay=1500");
        // In flight when the signal lands: the server has started on it.
        await Eventually.WaitUntilAsync(() => process.StandardError.Contains("/?delay=1500", StringComparison.Ordinal), "the request to reach the server");
        process.Terminate();

        await WaitUntilDrainingAsync(client, TimeSpan.FromSeconds(1.5));
        using var duringDrain = await client.GetAsync("/during-drain");
        // Sent well before the 2 s drain ends, finishing after it: in flight when the host begins to stop.
        var inFlightAtStop = client.GetAsync("/?delay=2500");

        Assert.Equal(HttpStatusCode.OK, duringDrain.StatusCode);
        Assert.Equal("x", await duringDrain.Content.ReadAsStringAsync());
        using var atSignal = await inFlightAtSignal;
        Assert.Equal(HttpStatusCode.OK, atSignal.StatusCode);
        Assert.Equal("x", await atSignal.Content.ReadAsStringAsync());
        using var atStop = await inFlightAtStop;
        Assert.Equal(HttpStatusCode.OK, atStop.StatusCode);
        Assert.Equal("x", await atStop.Content.ReadAsStringAsync());

        Assert.Equal(0, await process.WaitForExitAsync(ExitTimeout));
        // One line per served request (health probes are not logged), all flushed before exit.
        Assert.Equal(["x", "x", "x"], process.StandardOutputLines);
    }

    [Fact]
    public async Task Sigterm_Twice_StopsWithoutWaitingForDrain()
    {
        await using var process = HostnameProcess.Start("--Hostname:Name=x", "--Hostname:DrainDelay=00:05:00");
        using var client = process.CreateClient();
        await process.WaitUntilServingAsync(client, StartTimeout);

        process.Terminate();
        await WaitUntilDrainingAsync(client, TimeSpan.FromSeconds(5));
        process.Terminate();

        Assert.Equal(0, await process.WaitForExitAsync(ExitTimeout));
    }

    /// <summary>Polls <c>/healthz</c> until it answers 503; until then, every answer must be 200.</summary>
    private static Task WaitUntilDrainingAsync(HttpClient client, TimeSpan timeout) =>
        Eventually.WaitAsync(
            async () =>
            {
                using var response = await client.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    return true;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return false;
            },
            timeout,
            "/healthz to answer 503 during the drain",
            TimeSpan.FromMilliseconds(25));
}
