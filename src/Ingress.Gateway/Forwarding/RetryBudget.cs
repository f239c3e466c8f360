namespace Ingress.Gateway.Forwarding;

/// <summary>
/// A lock-free token bucket that lets retries add at most a fixed share of a cluster's traffic, so that retrying
/// can never multiply the load on a service that is already failing.
/// </summary>
internal sealed class RetryBudget
{
    private const long Scale = 1000;
    private readonly long _deposit;
    private readonly long _capacity;
    private long _tokens;

    public RetryBudget(double ratio, int reserve)
    {
        _deposit = (long)(Math.Clamp(ratio, 0, 1) * Scale);
        // The bucket holds at least one retry, so that a zero reserve still lets the ratio earn retries.
        _capacity = Math.Max(1, reserve) * Scale;
        _tokens = Math.Max(0, reserve) * Scale;
    }

    /// <summary>Earns a share of a retry; called once per request.</summary>
    public void Deposit()
    {
        if (_deposit == 0 || Volatile.Read(ref _tokens) >= _capacity)
        {
            return;
        }

        Interlocked.Add(ref _tokens, _deposit);
    }

    /// <summary>Spends one retry if the budget has one.</summary>
    public bool TryWithdraw()
    {
        while (true)
        {
            var current = Volatile.Read(ref _tokens);
            if (current < Scale)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _tokens, current - Scale, current) == current)
            {
                return true;
            }
        }
    }
}
