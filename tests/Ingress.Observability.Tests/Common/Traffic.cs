namespace Ingress.Observability.Tests.Common;

/// <summary>Real requests through the gateway's entry port, addressed to a service by its host rule.</summary>
internal static class Traffic
{
    /// <summary>Sends <paramref name="count"/> GETs for <paramref name="host"/> and checks every one was answered 200.</summary>
    public static async Task SendAsync(HttpClient client, string host, int count, string path = "/", CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            using var response = await client.SendAsync(request, cancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"GET {host}{path} answered {(int)response.StatusCode}.");
        }
    }

    /// <summary>Keeps sending requests for <paramref name="host"/> until cancelled, pausing <paramref name="pause"/> between them.</summary>
    public static async Task RunAsync(HttpClient client, string host, TimeSpan pause, string path, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await SendAsync(client, host, 1, path, cancellationToken);
                await Task.Delay(pause, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Done.
        }
    }
}
