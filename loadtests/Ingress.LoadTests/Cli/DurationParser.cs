using System.Globalization;

namespace Ingress.LoadTests.Cli;

/// <summary>Reads durations the way load tools write them: <c>500ms</c>, <c>10s</c>, <c>2m</c>, or bare seconds.</summary>
internal static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var span = text.AsSpan().Trim();
        double scale;
        if (span.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scale = 0.001;
            span = span[..^2];
        }
        else if (span.EndsWith("s", StringComparison.OrdinalIgnoreCase))
        {
            scale = 1;
            span = span[..^1];
        }
        else if (span.EndsWith("m", StringComparison.OrdinalIgnoreCase))
        {
            scale = 60;
            span = span[..^1];
        }
        else
        {
            scale = 1;
        }

        if (!double.TryParse(span, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return false;
        }

        var seconds = value * scale;
        if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
