namespace Ingress.Testing;

/// <summary>
/// The one way tests wait for something that happens asynchronously (a real swarm converging, a gateway applying a
/// config, a follower catching up): bounded polling of a probe until a condition holds, failing with the last value seen.
/// </summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its value, or throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
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

    /// <summary>Polls <paramref name="condition"/> until it is true, or throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        WaitAsync(condition, ok => ok, timeout, what, interval);

    /// <summary>Polls a synchronous <paramref name="condition"/> until it is true, or throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        WaitAsync(() => Task.FromResult(condition()), ok => ok, timeout, what, interval);

    /// <summary>What the gateway does in the background (ejections, probes, metrics): every 100 ms, for up to 10 s.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        WaitAsync(condition, ok => ok, TimeSpan.FromSeconds(10), what, TimeSpan.FromMilliseconds(100));

    /// <summary><see cref="WaitUntilAsync(Func{Task{bool}}, string)"/> for a condition that needs no I/O.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);
}
