using Ingress.Gateway.Configuration;

namespace Ingress.Gateway.Tests.Configuration;

public sealed class TransportOptionsValidatorTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(64)]
    public void Validate_EventLoopsInRange_Succeeds(int? loops)
    {
        Assert.True(new TransportOptionsValidator().Validate(null, new TransportOptions { EventLoops = loops }).Succeeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]
    public void Validate_EventLoopsOutOfRange_FailsNamingTheKey(int loops)
    {
        var result = new TransportOptionsValidator().Validate(null, new TransportOptions { EventLoops = loops });

        Assert.Equal($"Ingress:Transport:EventLoops = {loops} must be 1-64 (or empty for one per processor).", Assert.Single(result.Failures!));
    }
}
