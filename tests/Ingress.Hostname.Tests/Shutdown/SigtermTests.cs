using System.Net;
using Ingress.Hostname.Tests.Infrastructure;

namespace Ingress.Hostname.Tests.Shutdown;

/// <summary>The drain as Swarm triggers it: a real process, a real SIGTERM, requests in flight.</summary>
public sealed class SigtermTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Sigterm_WithRequestsInFlight_DrainsServesEveryRequestAndExitsZero()
    {
        await using var process = HostnameProcess.Start("--Hostname:Name=x", "--Hostname:DrainDelay=00:00:02");
        using var client = process.CreateClient();
        await process.WaitUntilServingAsync(client, StartTimeout);

        var inFlightAtSignal = client.GetAsync("/?delay=1500");
        // Give it time to reach the server, so that it is in flight when the signal lands.
        await Task.Delay(300);
        process.Terminate();

        Assert.True(await PollHealthUntilDrainingAsync(client, TimeSpan.FromSeconds(1.5)), "/healthz never answered 503 during the drain.");
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
        Assert.True(await PollHealthUntilDrainingAsync(client, TimeSpan.FromSeconds(5)), "/healthz never answered 503 during the drain.");
        process.Terminate();

        Assert.Equal(0, await process.WaitForExitAsync(ExitTimeout));
    }

    private static async Task<bool> PollHealthUntilDrainingAsync(HttpClient client, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                using var response = await client.GetAsync("/healthz", deadline.Token);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    return true;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await Task.Delay(25, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return false;
        }
    }
}
