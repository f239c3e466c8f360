namespace Ingress.Gateway.Tests.Common;

/// <summary>Waits for something the gateway does in the background (ejections, probes, metrics), instead of sleeping.</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; fails the test after 10 s, naming <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("Timed out waiting for " + what);
    }

    /// <summary><see cref="WaitUntilAsync(Func{Task{bool}}, string)"/> for a condition that needs no I/O.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);
}
