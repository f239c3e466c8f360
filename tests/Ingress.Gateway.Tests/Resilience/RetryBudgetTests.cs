using Ingress.Gateway.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Resilience;

public sealed class RetryBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    private int WithdrawAll(RetryBudget budget)
    {
        var retries = 0;
        while (budget.TryWithdraw())
        {
            retries++;
        }

        return retries;
    }

    private void Requests(RetryBudget budget, int count)
    {
        for (var i = 0; i < count; i++)
        {
            budget.Deposit();
        }
    }

    [Fact]
    public void TryWithdraw_Reserve_AllowsThatManyRetriesBeforeAnyTraffic()
    {
        var budget = new RetryBudget(ratio: 0.2, reserve: 2, _time);

        Assert.Equal(2, WithdrawAll(budget));
    }

    [Fact]
    public void TryWithdraw_ZeroReserve_RetriesAreEarnedByTraffic()
    {
        var budget = new RetryBudget(ratio: 0.2, reserve: 0, _time);
        Assert.False(budget.TryWithdraw());

        Requests(budget, 4);
        Assert.False(budget.TryWithdraw());
        budget.Deposit();
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }

    [Fact]
    public void TryWithdraw_AfterSteadyTraffic_CoversABurstOfTheWindowsShare()
    {
        // 100 requests/s for 10 s, then a replica of three is lost: about a third of a second's requests need a retry at once.
        var budget = new RetryBudget(ratio: 0.2, reserve: 10, _time);
        for (var second = 0; second < 10; second++)
        {
            Requests(budget, 100);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(10 + 180, WithdrawAll(budget));
    }

    [Fact]
    public void TryWithdraw_ServiceFailingForLong_RetriesStayWithinTheRatio()
    {
        var budget = new RetryBudget(ratio: 0.2, reserve: 10, _time);
        long requests = 0, retries = 0;
        for (var second = 0; second < 60; second++)
        {
            for (var i = 0; i < 100; i++)
            {
                budget.Deposit();
                requests++;
                if (budget.TryWithdraw())
                {
                    retries++;
                }
            }

            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Every request failing and retried if the budget allows: the retries add a fifth, plus the reserve per window.
        Assert.InRange(retries, (long)(0.2 * requests), (long)(0.2 * requests) + 6 * 10 + 20);
    }

    [Fact]
    public void Deposits_OlderThanTheWindow_Expire()
    {
        var budget = new RetryBudget(ratio: 0.5, reserve: 3, _time);
        Requests(budget, 1000);

        _time.Advance(RetryBudget.Window);

        Assert.Equal(3, WithdrawAll(budget));
    }

    [Fact]
    public void Retries_OlderThanTheWindow_NoLongerCount()
    {
        var budget = new RetryBudget(ratio: 0, reserve: 2, _time);
        Assert.Equal(2, WithdrawAll(budget));

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(budget.TryWithdraw());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, WithdrawAll(budget));
    }

    [Fact]
    public void TryWithdraw_ZeroRatio_OnlyTheReserve()
    {
        var budget = new RetryBudget(ratio: 0, reserve: 1, _time);
        Requests(budget, 100);

        Assert.Equal(1, WithdrawAll(budget));
    }
}
