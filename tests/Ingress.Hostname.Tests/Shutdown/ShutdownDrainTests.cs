using Ingress.Hostname.Configuration;
using Ingress.Hostname.Shutdown;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Hostname.Tests.Shutdown;

public sealed class ShutdownDrainTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly DrainState _state = new();
    private readonly ApplicationLifetime _lifetime = new(NullLogger<ApplicationLifetime>.Instance);

    [Fact]
    public void RequestTermination_First_DrainsForDelayThenStops()
    {
        using var drain = CreateDrain(TimeSpan.FromSeconds(5));

        drain.RequestTermination();

        Assert.True(_state.IsDraining);
        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.False(_lifetime.ApplicationStopping.IsCancellationRequested);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public void RequestTermination_Second_StopsWithoutWaiting()
    {
        using var drain = CreateDrain(TimeSpan.FromSeconds(5));

        drain.RequestTermination();
        drain.RequestTermination();

        Assert.True(_lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public void RequestTermination_ZeroDelay_StopsWithoutWaiting()
    {
        using var drain = CreateDrain(TimeSpan.Zero);

        drain.RequestTermination();

        Assert.True(_state.IsDraining);
        Assert.True(_lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public void Dispose_DuringDrain_CancelsScheduledStop()
    {
        var drain = CreateDrain(TimeSpan.FromSeconds(5));
        drain.RequestTermination();

        drain.Dispose();
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(_lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public void TryBeginDrain_Twice_TrueOnlyFirstTime()
    {
        Assert.False(_state.IsDraining);
        Assert.True(_state.TryBeginDrain());
        Assert.False(_state.TryBeginDrain());
        Assert.True(_state.IsDraining);
    }

    private ShutdownDrain CreateDrain(TimeSpan drainDelay) => new(
        _state,
        Options.Create(new HostnameOptions { DrainDelay = drainDelay }),
        _lifetime,
        _time,
        NullLogger<ShutdownDrain>.Instance);
}
