using Ingress.LoadTests.Running;

namespace Ingress.LoadTests.Scenarios;

/// <summary>A named way of loading a target, chosen on the command line.</summary>
/// <param name="Name">What to type, e.g. <c>closed</c>.</param>
/// <param name="Description">One line for the usage text.</param>
/// <param name="FixedModel">The model the scenario always uses; null means closed unless <c>--rate</c> is given.</param>
/// <param name="TracksHostNames">Counts response bodies as replica host names.</param>
internal sealed record ScenarioDefinition(string Name, string Description, LoadModel? FixedModel, bool TracksHostNames)
{
    /// <summary>The model for a run of this scenario, given whether a rate was asked for.</summary>
    public LoadModel ModelFor(bool rateGiven) => FixedModel ?? (rateGiven ? LoadModel.Open : LoadModel.Closed);
}
