namespace Ingress.Gateway.Resilience;

/// <summary>
/// A cluster's retry budget over a sliding window, as Finagle's: the retries of the last <see cref="Window"/> may number
/// at most the reserve plus the ratio of the requests in it. Retrying can then never multiply the load on a service
/// that keeps failing, while a burst of retries (a replica lost at once: every request it held needs one) is covered by
/// what the last seconds of traffic earned.
/// </summary>
/// <remarks>
/// Counted per second in a ring of ten slots, lock-free; a slot is cleared when its second comes round again. Counts
/// made by two threads while one of them clears a slot may be lost: the budget is a bound, not an audit.
/// </remarks>
internal sealed class RetryBudget
{
    /// <summary>How far back requests earn retries, and retries spend them.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(Slots);

    private const int Slots = 10;
    private readonly double _ratio;
    private readonly long _reserve;
    private readonly TimeProvider _time;
    private readonly long[] _seconds = new long[Slots];
    private readonly long[] _requests = new long[Slots];
    private readonly long[] _retries = new long[Slots];

    public RetryBudget(double ratio, int reserve, TimeProvider? time = null)
    {
        _ratio = Math.Clamp(ratio, 0, 1);
        _reserve = Math.Max(0, reserve);
        _time = time ?? TimeProvider.System;
        Array.Fill(_seconds, long.MinValue);
    }

    /// <summary>Counts a request, which earns a share of a retry; called once per request.</summary>
    public void Deposit() => Interlocked.Increment(ref _requests[Slot(Second())]);

    /// <summary>Spends one retry if the window's budget has one.</summary>
    public bool TryWithdraw()
    {
        var now = Second();
        var slot = Slot(now);
        long requests = 0, retries = 0;
        for (var i = 0; i < Slots; i++)
        {
            if (now - Volatile.Read(ref _seconds[i]) < Slots)
            {
                requests += Volatile.Read(ref _requests[i]);
                retries += Volatile.Read(ref _retries[i]);
            }
        }

        if (retries >= _reserve + (long)(_ratio * requests))
        {
            return false;
        }

        Interlocked.Increment(ref _retries[slot]);
        return true;
    }

    private long Second() => _time.GetTimestamp() / _time.TimestampFrequency;

    /// <summary>The slot of <paramref name="second"/>, cleared first if it still holds a second that has left the window.</summary>
    private int Slot(long second)
    {
        var slot = (int)(second % Slots);
        var held = Volatile.Read(ref _seconds[slot]);
        if (held != second && Interlocked.CompareExchange(ref _seconds[slot], second, held) == held)
        {
            Interlocked.Exchange(ref _requests[slot], 0);
            Interlocked.Exchange(ref _retries[slot], 0);
        }

        return slot;
    }
}
