namespace Ingress.LoadTests.Tests.Infrastructure;

/// <summary>
/// Tests that put real load on real servers run one at a time and apart from the rest, so
/// their numbers (and zero-error assertions) do not depend on what else the 2-core box does.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "real load";
}
