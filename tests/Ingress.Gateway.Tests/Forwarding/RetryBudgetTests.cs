using Ingress.Gateway.Forwarding;

namespace Ingress.Gateway.Tests.Forwarding;

public sealed class RetryBudgetTests
{
    [Fact]
    public void TryWithdraw_Reserve_AllowsThatManyRetriesBeforeAnyTraffic()
    {
        var budget = new RetryBudget(ratio: 0.2, reserve: 2);

        Assert.True(budget.TryWithdraw());
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }

    [Fact]
    public void TryWithdraw_ZeroReserve_RetriesAreEarnedByTraffic()
    {
        var budget = new RetryBudget(ratio: 0.2, reserve: 0);
        Assert.False(budget.TryWithdraw());

        for (var i = 0; i < 4; i++)
        {
            budget.Deposit();
        }

        Assert.False(budget.TryWithdraw());
        budget.Deposit();
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }

    [Fact]
    public void Deposit_LongQuietTraffic_SavesNoMoreThanTheReserve()
    {
        var budget = new RetryBudget(ratio: 0.5, reserve: 3);

        for (var i = 0; i < 1000; i++)
        {
            budget.Deposit();
        }

        var retries = 0;
        while (budget.TryWithdraw())
        {
            retries++;
        }

        Assert.InRange(retries, 3, 4);
    }

    [Fact]
    public void TryWithdraw_ZeroRatio_OnlyTheReserve()
    {
        var budget = new RetryBudget(ratio: 0, reserve: 1);
        for (var i = 0; i < 100; i++)
        {
            budget.Deposit();
        }

        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }
}
