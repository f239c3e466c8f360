namespace Ingress.Testing;

/// <summary>
/// The counterpart of <see cref="Eventually"/>: for something that must NOT happen for a while (a replica must stay out
/// of rotation), checks a condition throughout a window instead of sleeping through it and looking once.
/// </summary>
public static class Continually
{
    /// <summary>Checks <paramref name="condition"/> every <paramref name="interval"/> (default 50 ms) for <paramref name="duration"/>; throws at the first time it does not hold.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan duration, string what, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var end = DateTime.UtcNow + duration;
        var checks = 0;
        do
        {
            checks++;
            if (!await condition())
            {
                throw new InvalidOperationException($"{what} stopped holding after {checks} checks, {duration - (end - DateTime.UtcNow)} into {duration}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
        while (DateTime.UtcNow < end);
    }

    /// <summary><see cref="HoldsAsync(Func{Task{bool}}, TimeSpan, string, TimeSpan?)"/> for a condition that needs no I/O.</summary>
    public static Task HoldsAsync(Func<bool> condition, TimeSpan duration, string what, TimeSpan? interval = null) =>
        HoldsAsync(() => Task.FromResult(condition()), duration, what, interval);
}
