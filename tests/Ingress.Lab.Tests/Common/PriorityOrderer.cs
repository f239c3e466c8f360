using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCaseOrderer("Ingress.Lab.Tests.Common.PriorityOrderer", "Ingress.Lab.Tests")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Ingress.Lab.Tests.Common;

/// <summary>The order a scenario runs in within the lab: the ones that leave the swarm as they found it come first, a node's loss last.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PriorityAttribute(int priority) : Attribute
{
    public int Priority { get; } = priority;
}

/// <summary>Orders the lab's test cases (and so its test classes) by <see cref="PriorityAttribute"/>.</summary>
public sealed class PriorityOrderer : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(t => Priority(t)).ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int Priority(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(PriorityAttribute).AssemblyQualifiedName!)
            .Select(a => (int)a.GetConstructorArguments().First())
            .DefaultIfEmpty(int.MaxValue)
            .First();
}
