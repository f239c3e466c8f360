using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Reporting;

/// <summary>What the JSON report holds: the run, how it was started and how it fared against its thresholds.</summary>
public sealed record ReportDocument(string Command, LoadReport Report, IReadOnlyList<ThresholdResult> Thresholds, bool Passed);
