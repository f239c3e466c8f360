using Ingress.Observability.Tests.Common;

namespace Ingress.Observability.Tests.Monitoring;

/// <summary>
/// The optional monitoring services of stack.yml, as <c>docker stack config</c> resolves them, and the Prometheus and
/// Grafana files they mount from docs/monitoring.
/// </summary>
public sealed class StackMonitoringTests
{
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("prometheus", 9090)]
    [InlineData("grafana", 3000)]
    public async Task StackConfig_MonitoringService_IsDefinedScaledToZeroOnTheGatewaysMonitoringNetwork(string name, int port)
    {
        var services = (await ResolvedStackAsync()).Map("services");

        var service = services.Map(name);

        Assert.Equal("0", service.Map("deploy").Text("replicas"));
        var image = service.Text("image");
        Assert.Matches(@":v?\d+\.\d+\.\d+$", image);
        // On the network every gateway shares for it: not the backends' (where the admin port answers only /healthz), and
        // never the control channel's.
        Assert.Equal(["monitoring"], service.Map("networks").Keys.Cast<string>());
        Assert.Contains("monitoring", services.Map("gateway").Map("networks").Keys.Cast<string>());
        Assert.Contains("monitoring", services.Map("gateway-worker").Map("networks").Keys.Cast<string>());
        Assert.Contains(service.List("ports").Cast<Dictionary<object, object>>(), p => p.Text("target") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task StackConfig_MonitoringConfigs_PointAtExistingFilesInDocsMonitoring()
    {
        var stack = await ResolvedStackAsync();
        var configs = stack.Map("configs");

        foreach (var service in new[] { "prometheus", "grafana" })
        {
            foreach (Dictionary<object, object> mount in stack.Map("services").Map(service).List("configs"))
            {
                var file = configs.Map(mount.Text("source")).Text("file");
                Assert.StartsWith(Repository.PathOf("docs", "monitoring"), file, StringComparison.Ordinal);
                Assert.True(File.Exists(file), $"{service} mounts {file}, which does not exist.");
            }
        }
    }

    [Fact]
    public async Task PrometheusConfig_ScrapesEveryGatewayTask_ManagersAndWorkers_OnTheStacksAdminPort()
    {
        var gateway = (await ResolvedStackAsync()).Map("services").Map("gateway");
        var adminPort = gateway.Map("environment").Text("Ingress__AdminPort");
        var prometheus = Yaml.Parse(await File.ReadAllTextAsync(Repository.PathOf("docs", "monitoring", "prometheus.yml")));

        var job = prometheus.List("scrape_configs").Cast<Dictionary<object, object>>().Single(j => j.Text("job_name") == "ingress-gateway");
        var discovery = (Dictionary<object, object>)job.List("dns_sd_configs").Single();

        Assert.Equal(["tasks.gateway", "tasks.gateway-worker"], discovery.List("names").Cast<string>());
        Assert.Equal("A", discovery.Text("type"));
        Assert.Equal(adminPort, discovery.Text("port"));
        Assert.Equal("/metrics", job.Text("metrics_path"));
    }

    [Fact]
    public async Task PromtoolCheckConfig_MonitoringPrometheusConfig_Passes()
    {
        var promtool = RequiredTool.Find("/usr/bin/promtool", "prometheus");

        var check = await Shell.TryRunAsync(promtool, ["check", "config", Repository.PathOf("docs", "monitoring", "prometheus.yml")], s_toolTimeout);

        Assert.True(check.ExitCode == 0, $"promtool check config failed (exit code {check.ExitCode}):\n{check.Output}");
    }

    [Fact]
    public async Task GrafanaProvisioning_DataSourceAndDashboardFolder_MatchTheStack()
    {
        var stack = await ResolvedStackAsync();
        var grafana = stack.Map("services").Map("grafana");
        var mounts = grafana.List("configs").Cast<Dictionary<object, object>>().ToDictionary(m => m.Text("source"), m => m.Text("target"));
        var datasources = Yaml.Parse(await File.ReadAllTextAsync(Repository.PathOf("docs", "monitoring", "grafana", "provisioning", "datasources", "prometheus.yml")));
        var providers = Yaml.Parse(await File.ReadAllTextAsync(Repository.PathOf("docs", "monitoring", "grafana", "provisioning", "dashboards", "ingress.yml")));

        // The data source reaches the stack's prometheus service by name, on the port it listens on.
        var url = new Uri(((Dictionary<object, object>)datasources.List("datasources").Single()).Text("url"));
        Assert.Equal("prometheus", url.Host);
        Assert.Equal(9090, url.Port);
        Assert.True(stack.Map("services").ContainsKey("prometheus"));

        // The provider loads the directory the dashboard JSON is mounted in.
        var folder = ((Dictionary<object, object>)providers.List("providers").Single()).Map("options").Text("path");
        Assert.Equal(folder, Path.GetDirectoryName(mounts["grafana-dashboard-ingress"]));
        Assert.StartsWith("/etc/grafana/provisioning/datasources/", mounts["grafana-datasource"], StringComparison.Ordinal);
        Assert.StartsWith("/etc/grafana/provisioning/dashboards/", mounts["grafana-dashboard-provider"], StringComparison.Ordinal);
    }

    private static async Task<Dictionary<object, object>> ResolvedStackAsync()
    {
        var docker = await DockerCli.WithStackConfigAsync();
        var config = await Shell.TryRunAsync(docker, ["stack", "config", "-c", Repository.PathOf("stack.yml")], s_toolTimeout);
        Assert.True(config.ExitCode == 0, $"docker stack config failed (exit code {config.ExitCode}):\n{config.Output}");
        return Yaml.Parse(config.StandardOutput);
    }
}
