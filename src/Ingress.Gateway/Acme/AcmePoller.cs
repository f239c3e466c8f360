using System.Net.Http.Headers;

namespace Ingress.Gateway.Acme;

/// <summary>
/// Polls an authorization or an order until it reaches a final state (RFC 8555 §7.5.1, §7.4): at the pace the server
/// asks with <c>Retry-After</c>, else every <see cref="AcmeOptions.PollInterval"/>, never more than
/// <see cref="AcmeOptions.MaxPollInterval"/> apart, and never longer than <see cref="AcmeOptions.PollTimeout"/> in all.
/// </summary>
/// <remarks>Time comes from the injected <see cref="TimeProvider"/>, so tests drive the waits with a fake clock.</remarks>
internal sealed class AcmePoller(TimeProvider time, TimeSpan interval, TimeSpan maxInterval, TimeSpan timeout)
{
    /// <summary>The shortest delay between two polls, so that a <c>Retry-After: 0</c> cannot make a busy loop.</summary>
    internal static readonly TimeSpan MinDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>A poller with the pace and bound of <paramref name="options"/>.</summary>
    public AcmePoller(TimeProvider time, AcmeOptions options)
        : this(time, options.PollInterval, options.MaxPollInterval, options.PollTimeout)
    {
    }

    /// <summary>
    /// Reads a resource with <paramref name="fetch"/> until <paramref name="done"/> holds for it; throws
    /// <see cref="AcmeException"/> naming <paramref name="what"/> and its last state when the time is up.
    /// </summary>
    public async Task<T> UntilAsync<T>(string what, Func<CancellationToken, Task<(T Value, RetryConditionHeaderValue? RetryAfter)>> fetch, Func<T, bool> done, Func<T, string> state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(state);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var (value, retryAfter) = await fetch(cancellationToken);
            if (done(value))
            {
                return value;
            }

            var now = time.GetUtcNow();
            var left = deadline - now;
            if (left <= TimeSpan.Zero)
            {
                throw new AcmeException($"{what} is still {state(value)} after {timeout}", null, null);
            }

            var delay = Delay(retryAfter, now, interval, maxInterval);
            await Task.Delay(delay < left ? delay : left, time, cancellationToken);
        }
    }

    /// <summary>
    /// The delay before the next poll: what <paramref name="retryAfter"/> asks (seconds, or a date from
    /// <paramref name="now"/>), else <paramref name="fallback"/>; at least <see cref="MinDelay"/>, at most <paramref name="max"/>.
    /// </summary>
    public static TimeSpan Delay(RetryConditionHeaderValue? retryAfter, DateTimeOffset now, TimeSpan fallback, TimeSpan max)
    {
        var asked = retryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => fallback,
        };
        return asked < MinDelay ? MinDelay : asked > max ? max : asked;
    }
}
