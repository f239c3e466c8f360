using Ingress.LoadTests.Running;

namespace Ingress.LoadTests.Scenarios;

/// <summary>Every scenario the command line knows.</summary>
/// <remarks>
/// Chaos scenarios (kill a task, rolling update, scale under load) need a swarm to act on, so
/// they live as tests that call <see cref="LoadRunner.RunAsync"/> with a <see cref="TimedAction"/>;
/// a command-line entry for one would be added here.
/// </remarks>
internal static class ScenarioCatalog
{
    public static IReadOnlyList<ScenarioDefinition> All { get; } =
    [
        new("closed", "N virtual users send back-to-back requests for a duration (max throughput).", LoadModel.Closed, TracksHostNames: false),
        new("open", "A fixed request rate (--rate); latency counted from the intended send time.", LoadModel.Open, TracksHostNames: false),
        new("hostname-rotation", "Like closed (or open with --rate), and counts replies per replica host name.", null, TracksHostNames: true),
    ];

    /// <summary>The scenario called <paramref name="name"/>, or null.</summary>
    public static ScenarioDefinition? Find(string name)
    {
        foreach (var scenario in All)
        {
            if (string.Equals(scenario.Name, name, StringComparison.Ordinal))
            {
                return scenario;
            }
        }

        return null;
    }
}
