namespace Ingress.Gateway.Discovery;

/// <summary>Exponential backoff for a failing discovery loop: doubles from the initial delay up to a maximum, reset on success.</summary>
internal sealed class RetryBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public RetryBackoff(TimeSpan initial, TimeSpan max)
    {
        _initial = initial;
        _max = max;
        _next = initial;
    }

    /// <summary>The delay before the next attempt; each call doubles the following one.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(_max.Ticks, current.Ticks * 2));
        return current;
    }

    /// <summary>Starts again from the initial delay after a success.</summary>
    public void Reset() => _next = _initial;
}
