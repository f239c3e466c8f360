using System.Text.Json;

namespace Ingress.Observability.Tests.Common;

/// <summary>The provisioned Grafana dashboard (docs/monitoring/grafana/dashboards/ingress-gateway.json), read as data.</summary>
internal sealed class GrafanaDashboard
{
    public static readonly string File = Repository.PathOf("docs", "monitoring", "grafana", "dashboards", "ingress-gateway.json");

    private GrafanaDashboard(IReadOnlyList<DashboardPanel> panels) => Panels = panels;

    public IReadOnlyList<DashboardPanel> Panels { get; }

    /// <summary>Every query of every panel, with its panel's title.</summary>
    public IEnumerable<(string Panel, string Expression)> Queries =>
        Panels.SelectMany(p => p.Queries.Select(q => (p.Title, q)));

    public static GrafanaDashboard Load()
    {
        using var document = JsonDocument.Parse(System.IO.File.ReadAllText(File));
        var panels = new List<DashboardPanel>();
        Collect(document.RootElement.GetProperty("panels"), panels);
        return new GrafanaDashboard(panels);
    }

    private static void Collect(JsonElement panels, List<DashboardPanel> into)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            var queries = panel.TryGetProperty("targets", out var targets)
                ? targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList()
                : [];
            var uids = new List<string>();
            if (panel.TryGetProperty("datasource", out var panelSource))
            {
                uids.Add(panelSource.GetProperty("uid").GetString()!);
            }

            if (panel.TryGetProperty("targets", out var withSources))
            {
                uids.AddRange(withSources.EnumerateArray()
                    .Where(t => t.TryGetProperty("datasource", out _))
                    .Select(t => t.GetProperty("datasource").GetProperty("uid").GetString()!));
            }

            into.Add(new DashboardPanel(panel.GetProperty("title").GetString()!, panel.GetProperty("type").GetString()!, queries, uids));
            // Collapsed rows keep their panels inside.
            if (panel.TryGetProperty("panels", out var nested))
            {
                Collect(nested, into);
            }
        }
    }
}

/// <summary>One panel: its title, type, PromQL queries and the data source UIDs it refers to.</summary>
internal sealed record DashboardPanel(string Title, string Type, IReadOnlyList<string> Queries, IReadOnlyList<string> DataSourceUids);
