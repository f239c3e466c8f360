using System.Globalization;

namespace Ingress.LoadTests.Reporting;

/// <summary>Number formats shared by the console, Markdown and SVG output, always invariant.</summary>
internal static class Units
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Rate(double value) => value.ToString("N1", CultureInfo.InvariantCulture);

    /// <summary>Three significant-ish digits: 0.123, 1.23, 12.3, 123.</summary>
    public static string Ms(double value) => value switch
    {
        < 1 => value.ToString("0.000", CultureInfo.InvariantCulture),
        < 10 => value.ToString("0.00", CultureInfo.InvariantCulture),
        < 100 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Seconds(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    /// <summary>Percentile labels like HdrHistogram's: 50, 99.9, 99.999.</summary>
    public static string Percentile(double percentile) => percentile.ToString("0.###", CultureInfo.InvariantCulture);
}
