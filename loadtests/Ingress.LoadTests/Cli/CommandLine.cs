using Ingress.LoadTests.Running;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Cli;

/// <summary>A parsed command line: what to run, what it must achieve and where to write about it.</summary>
/// <param name="ShowHelp">True when only the usage text was asked for; the other members are then null.</param>
internal sealed record CommandLine(bool ShowHelp, LoadOptions? Options, LoadThresholds? Thresholds, string? ResultsDirectory, bool Quiet)
{
    public static CommandLine Help { get; } = new(true, null, null, null, false);
}
