using Ingress.Gateway.Resilience;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>When a failed attempt may go to another replica, and when the replica leaves rotation: both data paths' rule.</summary>
public sealed class AttemptFailuresTests
{
    [Theory]
    [InlineData(nameof(AttemptFailure.NotConnected), false, true)]
    [InlineData(nameof(AttemptFailure.SilentUnacknowledged), false, true)] // a POST with a body included: none of it arrived
    [InlineData(nameof(AttemptFailure.SilentAcknowledged), false, false)]
    [InlineData(nameof(AttemptFailure.SilentAcknowledged), true, true)]
    [InlineData(nameof(AttemptFailure.Reset), false, false)]
    [InlineData(nameof(AttemptFailure.Reset), true, true)]
    [InlineData(nameof(AttemptFailure.Other), true, false)]
    public void IsRetriable_OnlyWhenNothingArrived_OrTheRequestIsABodilessIdempotentOne(string failure, bool bodilessIdempotent, bool expected)
    {
        Assert.Equal(expected, AttemptFailures.IsRetriable(Enum.Parse<AttemptFailure>(failure), bodilessIdempotent));
    }

    [Theory]
    [InlineData(nameof(AttemptFailure.NotConnected), true)]
    [InlineData(nameof(AttemptFailure.SilentUnacknowledged), true)]
    [InlineData(nameof(AttemptFailure.SilentAcknowledged), true)]
    [InlineData(nameof(AttemptFailure.Reset), false)]
    [InlineData(nameof(AttemptFailure.Other), false)]
    public void IsUnreachable_ConnectFailuresAndSilence_AsAConnectTimeout(string failure, bool expected)
    {
        Assert.Equal(expected, AttemptFailures.IsUnreachable(Enum.Parse<AttemptFailure>(failure)));
    }
}
