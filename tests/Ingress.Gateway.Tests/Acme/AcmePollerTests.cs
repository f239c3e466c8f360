using System.Net.Http.Headers;
using Ingress.Gateway.Acme;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Acme;

public sealed class AcmePollerTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Fallback = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Fact]
    public void Delay_NoRetryAfter_IsTheFallback() =>
        Assert.Equal(Fallback, AcmePoller.Delay(null, Now, Fallback, Max));

    [Fact]
    public void Delay_RetryAfterSeconds_IsThatLong() =>
        Assert.Equal(TimeSpan.FromSeconds(7), AcmePoller.Delay(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), Now, Fallback, Max));

    [Fact]
    public void Delay_RetryAfterDate_IsTheTimeUntilThen() =>
        Assert.Equal(TimeSpan.FromSeconds(12), AcmePoller.Delay(new RetryConditionHeaderValue(Now.AddSeconds(12)), Now, Fallback, Max));

    [Fact]
    public void Delay_RetryAfterLongerThanTheMaximum_IsTheMaximum() =>
        Assert.Equal(Max, AcmePoller.Delay(new RetryConditionHeaderValue(TimeSpan.FromHours(1)), Now, Fallback, Max));

    [Fact]
    public void Delay_RetryAfterZeroOrADatePassed_IsTheMinimumNotABusyLoop()
    {
        Assert.Equal(AcmePoller.MinDelay, AcmePoller.Delay(new RetryConditionHeaderValue(TimeSpan.Zero), Now, Fallback, Max));
        Assert.Equal(AcmePoller.MinDelay, AcmePoller.Delay(new RetryConditionHeaderValue(Now.AddMinutes(-1)), Now, Fallback, Max));
    }

    [Fact]
    public void Delay_RetryAfterAsHttpParsesIt_IsHonoured()
    {
        // The header as a server writes it, parsed by HttpClient's own header parser.
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("Retry-After", "Sat, 01 Mar 2025 12:00:20 GMT");

        Assert.Equal(TimeSpan.FromSeconds(20), AcmePoller.Delay(response.Headers.RetryAfter, Now, Fallback, Max));
    }

    [Fact]
    public async Task UntilAsync_RetryAfter_WaitsThatLongBeforePollingAgain()
    {
        var time = new TimerRecordingTimeProvider(Now);
        var poller = new AcmePoller(time, Fallback, Max, TimeSpan.FromMinutes(2));
        var polls = new List<DateTimeOffset>();
        var states = new Queue<(string, int?)>([("pending", 5), ("pending", null), ("valid", null)]);

        var polling = poller.UntilAsync("authorization x", _ =>
        {
            polls.Add(time.GetUtcNow());
            var (state, retryAfter) = states.Dequeue();
            return Task.FromResult<(string, RetryConditionHeaderValue?)>((state, retryAfter is { } s ? new RetryConditionHeaderValue(TimeSpan.FromSeconds(s)) : null));
        }, state => state == "valid", state => state, default);

        await time.WaitForTimersAsync(1);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Single(polls);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await time.WaitForTimersAsync(2);
        time.Advance(Fallback);

        Assert.Equal("valid", await polling.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([TimeSpan.FromSeconds(5), Fallback], time.Delays);
        Assert.Equal([Now, Now.AddSeconds(5), Now.AddSeconds(6)], polls);
    }

    [Fact]
    public async Task UntilAsync_NeverDone_StopsAtTheTimeoutWithTheLastState()
    {
        var time = new TimerRecordingTimeProvider(Now);
        var poller = new AcmePoller(time, TimeSpan.FromSeconds(3), Max, TimeSpan.FromSeconds(10));
        var polls = new List<DateTimeOffset>();

        var polling = poller.UntilAsync("order https://ca.test/order/1", _ =>
        {
            polls.Add(time.GetUtcNow());
            return Task.FromResult<(string, RetryConditionHeaderValue?)>(("processing", null));
        }, _ => false, state => state, default);
        for (var timer = 1; timer <= 4; timer++)
        {
            await time.WaitForTimersAsync(timer);
            time.Advance(time.Delays[^1]);
        }

        var error = await Assert.ThrowsAsync<AcmeException>(() => polling.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("order https://ca.test/order/1 is still processing after 00:00:10", error.Message);
        // Polls at 0, 3, 6 and 9 s, and a last one at the deadline: the last wait is cut to what is left.
        Assert.Equal([0, 3, 6, 9, 10], polls.Select(p => (p - Now).TotalSeconds));
        Assert.Equal([3, 3, 3, 1], time.Delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task UntilAsync_Cancelled_StopsWaiting()
    {
        var time = new TimerRecordingTimeProvider(Now);
        var poller = new AcmePoller(time, Fallback, Max, TimeSpan.FromMinutes(2));
        using var cancel = new CancellationTokenSource();

        var polling = poller.UntilAsync("x", _ => Task.FromResult<(string, RetryConditionHeaderValue?)>(("pending", null)), _ => false, s => s, cancel.Token);
        await time.WaitForTimersAsync(1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => polling.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A fake clock that also records each timer's due time, so a test advances only once the poller is waiting.</summary>
    private sealed class TimerRecordingTimeProvider(DateTimeOffset start) : TimeProvider
    {
        private readonly FakeTimeProvider _inner = new(start);
        private readonly List<TimeSpan> _delays = [];

        public List<TimeSpan> Delays
        {
            get
            {
                lock (_delays)
                {
                    return [.. _delays];
                }
            }
        }

        public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = _inner.CreateTimer(callback, state, dueTime, period);
            lock (_delays)
            {
                _delays.Add(dueTime);
            }

            return timer;
        }

        public void Advance(TimeSpan by) => _inner.Advance(by);

        public Task WaitForTimersAsync(int count) => Eventually.WaitUntilAsync(() => Delays.Count >= count, $"timer {count} of the poller");
    }
}
