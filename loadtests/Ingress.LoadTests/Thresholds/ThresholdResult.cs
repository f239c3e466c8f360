using System.Globalization;

namespace Ingress.LoadTests.Thresholds;

/// <summary>The verdict of one threshold: its limit, what the run measured and whether that passes.</summary>
/// <param name="Name">The command-line name, e.g. <c>max-p99-ms</c>.</param>
/// <param name="Comparison">How <paramref name="Actual"/> must relate to <paramref name="Limit"/>: <c>&lt;=</c>, <c>&gt;=</c> or <c>==</c>.</param>
public sealed record ThresholdResult(string Name, string Comparison, double Limit, double Actual, bool Passed)
{
    /// <summary>E.g. <c>FAIL max-failures: 12 (limit &lt;= 0)</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(Passed ? "PASS" : "FAIL")} {Name}: {Actual:0.###} (limit {Comparison} {Limit:0.###})");
}
