namespace Ingress.Swarm.Tests.Common;

/// <summary>Bounded polling for conditions that a real swarm reaches asynchronously.</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last = default!;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await probe();
                if (done(last))
                {
                    return last;
                }

                lastError = null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                lastError = ex;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250));
        }

        throw new TimeoutException($"Timed out after {timeout} waiting for {what}. Last value: {last}. Last error: {lastError?.Message}");
    }
}
