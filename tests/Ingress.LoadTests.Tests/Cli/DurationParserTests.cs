using Ingress.LoadTests.Cli;

namespace Ingress.LoadTests.Tests.Cli;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("3", 3_000)]
    [InlineData("0", 0)]
    public void TryParse_KnownUnits_ReturnsDuration(string text, int expectedMs)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ten")]
    [InlineData("10x")]
    [InlineData("-5s")]
    [InlineData("1e3s")]
    [InlineData("s")]
    public void TryParse_Garbage_ReturnsFalse(string text) =>
        Assert.False(DurationParser.TryParse(text, out _));
}
