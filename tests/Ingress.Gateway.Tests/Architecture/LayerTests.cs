using Ingress.Gateway.Hosting;

namespace Ingress.Gateway.Tests.Architecture;

/// <summary>
/// The gateway's folders are layers, and a layer may use only the layers listed for it below. The data flows
/// discovery → routing → listeners → relay or proxy → telemetry, and dependencies point down; a type that reaches up,
/// or a new folder that is not placed in the table, fails here with the types that do it.
/// </summary>
public sealed class LayerTests
{
    /// <summary>Each layer (a top-level folder and namespace under Ingress.Gateway) and the layers it may use.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Schema"] = ["Http1"],
        ["Http1"] = [],
        ["Transport"] = [],
        ["Acme"] = [],
        ["Configuration"] = ["Schema"],
        ["Telemetry"] = ["Configuration", "Http1", "Schema"],
        ["Discovery"] = ["Schema", "Configuration", "Telemetry"],
        ["Resilience"] = ["Schema", "Configuration", "Telemetry", "Http1", "Transport"],
        ["Routing"] = ["Discovery", "Schema", "Configuration", "Telemetry", "Resilience", "Http1", "Transport"],
        ["Relay"] = ["Routing", "Resilience", "Telemetry", "Http1", "Transport", "Configuration", "Schema"],
        ["Proxy"] = ["Routing", "Resilience", "Telemetry", "Http1", "Configuration", "Schema"],
        ["Tls"] = ["Configuration", "Telemetry", "Transport"],
        ["Issuance"] = ["Acme", "Tls", "Routing", "Discovery", "Telemetry", "Configuration", "Schema"],
        ["Listeners"] = ["Relay", "Proxy", "Routing", "Telemetry", "Http1", "Transport", "Configuration", "Schema"],
        ["Admin"] = ["Routing", "Discovery", "Resilience", "Telemetry", "Tls", "Issuance", "Configuration", "Schema", "Access"],
        ["Access"] = ["Schema", "Telemetry", "Http1", "Configuration"],
        ["Hosting"] = ["*"],
    };

    [Fact]
    public void EveryLayer_UsesOnlyTheLayersBelowIt()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (type, used) in TypeDependencies.Of(typeof(GatewayApplication).Assembly))
        {
            var from = Layer(type);
            if (from is null || Allowed[from] is ["*"])
            {
                continue;
            }

            foreach (var target in used)
            {
                var to = Layer(target);
                if (to is not null && to != from && !Allowed[from].Contains(to))
                {
                    violations.Add($"{from} -> {to}: {type.FullName} uses {target.FullName}");
                }
            }
        }

        Assert.True(violations.Count == 0, "Dependencies that point the wrong way:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void EveryNamespace_BelongsToALayerInTheTable()
    {
        var unplaced = typeof(GatewayApplication).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .Where(ns => ns is not null && ns.StartsWith("Ingress.Gateway.", StringComparison.Ordinal))
            .Select(ns => ns!.Split('.')[2])
            .Where(layer => !Allowed.ContainsKey(layer))
            .Distinct()
            .ToList();

        Assert.True(unplaced.Count == 0, "Folders with no place in LayerTests.Allowed: " + string.Join(", ", unplaced));
    }

    [Fact]
    public void TheTable_HasNoCycle()
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path, true: done
        foreach (var layer in Allowed.Keys)
        {
            Visit(layer, []);
        }

        void Visit(string layer, List<string> path)
        {
            if (state.TryGetValue(layer, out var done))
            {
                Assert.True(done, "Cycle: " + string.Join(" -> ", path.Append(layer)));
                return;
            }

            state[layer] = false;
            foreach (var next in Allowed[layer].Where(l => l != "*"))
            {
                Assert.True(Allowed.ContainsKey(next), $"{layer} lists {next}, which is not a layer");
                Visit(next, [.. path, layer]);
            }

            state[layer] = true;
        }
    }

    [Fact]
    public void TheScan_SeesDependenciesInCode_NotOnlyInSignatures()
    {
        // An entry listener creates client connections only inside a method, and the relay engine creates its event
        // loops only inside a lambda: a scan of signatures alone would miss both, and every rule above would pass
        // vacuously for such uses.
        var graph = TypeDependencies.Of(typeof(GatewayApplication).Assembly);
        Assert.Contains(graph[typeof(Gateway.Listeners.EntryListener)], t => t == typeof(Gateway.Relay.ClientConnection));
        Assert.Contains(graph[typeof(Gateway.Relay.RelayEngine)], t => t == typeof(Gateway.Transport.EventLoop));
    }

    /// <summary>The layer of a gateway type: the first namespace segment under Ingress.Gateway (the root is hosting).</summary>
    private static string? Layer(Type type)
    {
        if (type.Assembly != typeof(GatewayApplication).Assembly || type.Namespace is not { } ns)
        {
            return null;
        }

        if (ns == "Ingress.Gateway")
        {
            return "Hosting";
        }

        return ns.StartsWith("Ingress.Gateway.", StringComparison.Ordinal) ? ns.Split('.')[2] : null;
    }
}
