using Ingress.LoadTests.Running;

namespace Ingress.LoadTests.Tests.Running;

public sealed class LoadOptionsValidatorTests
{
    private static readonly LoadOptions Valid = new() { Scenario = "closed", Target = new Uri("http://127.0.0.1:1/") };

    [Fact]
    public void Validate_Defaults_AreValid() => Assert.Null(LoadOptionsValidator.Validate(Valid));

    [Fact]
    public void Validate_DurationBeyondTheCap_IsRejected() =>
        Assert.Contains(nameof(LoadOptions.Duration), LoadOptionsValidator.Validate(Valid with { Duration = LoadLimits.MaxDuration + TimeSpan.FromSeconds(1) }));

    [Fact]
    public void Validate_OpenModelWithoutRate_IsRejected() =>
        Assert.Contains(nameof(LoadOptions.RequestsPerSecond), LoadOptionsValidator.Validate(Valid with { Model = LoadModel.Open }));

    [Fact]
    public void Validate_ZeroMaxRequests_IsRejected() =>
        Assert.Contains(nameof(LoadOptions.MaxRequests), LoadOptionsValidator.Validate(Valid with { MaxRequests = 0 }));

    [Fact]
    public void Validate_ActionDueAfterTheRun_IsRejected()
    {
        var options = Valid with
        {
            Duration = TimeSpan.FromSeconds(5),
            Actions = [new TimedAction("too late", TimeSpan.FromSeconds(5), _ => Task.CompletedTask)],
        };

        Assert.Contains("too late", LoadOptionsValidator.Validate(options));
    }

    [Fact]
    public async Task RunAsync_NonLoopbackTarget_ThrowsBeforeSendingAnything()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            LoadRunner.RunAsync(Valid with { Target = new Uri("http://192.0.2.1/") }));

        Assert.Contains("Refusing", error.Message, StringComparison.Ordinal);
    }
}
