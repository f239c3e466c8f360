using System.Text.Json;
using System.Text.RegularExpressions;
using Ingress.Observability.Tests.Common;
using Microsoft.Playwright;
using static Ingress.Observability.Tests.Common.Swarm;
using static Microsoft.Playwright.Assertions;

namespace Ingress.Observability.Tests.Admin;

/// <summary>
/// The dashboard in headless Chromium against the real gateway: forty services published through the real reconciler,
/// replicas served by real Kestrel listeners, traffic sent through the real entry port.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed partial class DashboardTests(Chromium chromium)
{
    [Fact]
    public async Task Dashboard_FortyServices_ShowsEveryReplicaWithHostNameAndAddress()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        await using var gateway = await GatewayTestHost.StartAsync();
        var fleet = new Fleet(farm);
        var services = fleet.Services().ToList();
        gateway.Sink.Publish(Snapshot(services));

        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("40");
        await Expect(page.Locator("#service-list > [data-service]")).ToHaveCountAsync(40);
        await page.GetByRole(AriaRole.Button, new() { Name = "Expand all" }).ClickAsync();

        var expected = services
            .SelectMany(s => s.Tasks.Select(t => $"{s.Name} {HostName(t)} {t.Address} {t.Id[..12]}"))
            .Order(StringComparer.Ordinal);
        await Expect(page.Locator("tr[data-task]:visible")).ToHaveCountAsync(120);
        Assert.Equal(expected, await VisibleReplicasAsync(page));
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_RealTraffic_ShowsNonZeroRequestRateOnlyWhereTrafficGoes()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        await using var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot(new Fleet(farm).Services()));
        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        var busy = page.Locator("[data-service='shop_web']");
        var idle = page.Locator("[data-service='chat_admin']");

        using var stop = new CancellationTokenSource(Chromium.Timeout);
        var traffic = Traffic.RunAsync(gateway.Public, Fleet.Host("shop_web"), TimeSpan.FromMilliseconds(5), "/", stop.Token);
        await busy.Locator(".service-head").ClickAsync();

        await Expect(busy.Locator(".service-head [data-field=rate]")).ToHaveTextAsync(NonZeroRate());
        await Expect(busy.Locator("tr[data-task]")).ToHaveCountAsync(3);
        foreach (var row in await busy.Locator("tr[data-task]").AllAsync())
        {
            // Round robin: every replica of the busy service serves part of the traffic.
            await Expect(row.Locator("[data-field=rate]")).ToHaveTextAsync(NonZeroRate());
            await Expect(row.Locator("[data-field=latency]")).ToHaveTextAsync(Latency());
        }

        await Expect(idle.Locator(".service-head [data-field=rate]")).ToHaveTextAsync("0.0");
        await Expect(page.Locator("#total-rate")).ToHaveTextAsync(NonZeroRate());
        await stop.CancelAsync();
        await traffic;
        Assert.All(farm.Addresses.Take(3), address => Assert.True(farm.ServedBy(address) > 0, $"{address} served nothing"));
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_OnlyStaticRoutes_ShowsThemWithTheirDestinationsRateAndPolicies()
    {
        await using var farm = await ReplicaFarm.StartAsync(2);
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:all:ClusterId"] = "backends",
            ["ReverseProxy:Routes:all:Match:Path"] = "{**catch-all}",
            ["ReverseProxy:Routes:all:Metadata:ingress.hsts.maxage"] = "600",
            ["ReverseProxy:Clusters:backends:HttpRequest:ActivityTimeout"] = "00:00:30",
        };
        for (var i = 0; i < farm.Addresses.Count; i++)
        {
            settings[$"ReverseProxy:Clusters:backends:Destinations:d{i}:Address"] = $"http://{farm.Addresses[i]}:{farm.Port}/";
        }

        await using var gateway = await GatewayTestHost.StartAsync(settings);
        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        using var stop = new CancellationTokenSource(Chromium.Timeout);
        var traffic = Traffic.RunAsync(gateway.Public, "any.example.test", TimeSpan.FromMilliseconds(5), "/", stop.Token);

        // Served traffic, so not "0 services": the static route is an entry of its own, with its destinations.
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("1");
        await Expect(page.Locator("#total-services")).ToHaveTextAsync("1");
        await Expect(page.Locator("#empty")).ToBeHiddenAsync();
        var route = page.Locator("[data-service='static: all']");
        await Expect(route.Locator("[data-field=status]")).ToHaveTextAsync("static");
        await Expect(route.Locator("[data-field=replicas]")).ToHaveTextAsync("2/2");
        await Expect(route.Locator("tr[data-task]")).ToHaveCountAsync(2);
        for (var i = 0; i < farm.Addresses.Count; i++)
        {
            await Expect(route.Locator($"tr[data-task='d{i}'] [data-field=address]")).ToHaveTextAsync($"http://{farm.Addresses[i]}:{farm.Port}/");
        }

        await Expect(route.Locator("[data-field=policies] li[data-policy=hsts] .policy-value")).ToHaveTextAsync("max-age=600");
        await Expect(route.Locator("[data-field=policies] li[data-policy=timeout] .policy-value")).ToHaveTextAsync("30s");
        await Expect(route.Locator(".service-head [data-field=rate]")).ToHaveTextAsync(NonZeroRate());
        await Expect(page.Locator("#total-rate")).ToHaveTextAsync(NonZeroRate());
        await stop.CancelAsync();
        await traffic;
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_ServiceScaledFromThreeToFive_ShowsNewReplicasWithoutReload()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        await using var gateway = await GatewayTestHost.StartAsync();
        var fleet = new Fleet(farm);
        gateway.Sink.Publish(Snapshot(fleet.Services()));
        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        var service = page.Locator("[data-service='search_api']");
        await service.Locator(".service-head").ClickAsync();
        await Expect(service.Locator("tr[data-task]")).ToHaveCountAsync(3);
        await page.EvaluateAsync("() => { window.loadedOnce = true; }");

        var scaled = fleet.Routed("search_api", 5);
        gateway.Sink.Publish(Snapshot(fleet.Services().Select(s => s.Name == scaled.Name ? scaled : s)));

        await Expect(service.Locator("tr[data-task]")).ToHaveCountAsync(5);
        foreach (var task in scaled.Tasks.Skip(3))
        {
            var row = service.Locator($"tr[data-task='{task.Id}']");
            await Expect(row.Locator("[data-field=hostname]")).ToHaveTextAsync(HostName(task));
            await Expect(row.Locator("[data-field=address]")).ToHaveTextAsync(task.Address);
            await Expect(page.Locator("#event-list li[data-kind='task-added']", new() { HasText = task.Address })).ToBeVisibleAsync();
        }

        await Expect(service.Locator("[data-field=replicas]")).ToHaveTextAsync("5/5");
        Assert.True(await page.EvaluateAsync<bool>("() => window.loadedOnce === true"), "the page was reloaded");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_ServiceWithInvalidLabels_ShowsEachLabelErrorProminently()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        await using var gateway = await GatewayTestHost.StartAsync();
        var fleet = new Fleet(farm);
        var broken = Service("legacy_app", Labels("ingress.publish=8080:http", "ingress.lb=fastest"), [Replica("legacy_app", 1, farm.Addresses[^1])]);
        gateway.Sink.Publish(Snapshot([.. fleet.Services(), broken]));

        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        var problems = page.Locator("#problems");
        await Expect(problems).ToBeVisibleAsync();
        await Expect(problems.Locator("h2")).ToHaveTextAsync("1 service is not routed because of invalid labels");
        var entry = problems.Locator("li[data-service='legacy_app']");
        await Expect(entry).ToContainTextAsync("ingress.lb=fastest: expected round_robin, least_requests, power_of_two or random");
        await Expect(entry).ToContainTextAsync("ingress.publish=8080:http: '8080:http' is not published:target with ports 1-65535 (e.g. 8888:8888)");

        var row = page.Locator("#service-list [data-service='legacy_app']");
        await Expect(row.Locator("[data-field=status]")).ToHaveTextAsync("invalid");
        await Expect(row.Locator("[data-field=errors]")).ToContainTextAsync("ingress.lb=fastest");
        await Expect(page.Locator("#service-list [data-service='shop_web'] [data-field=status]")).ToHaveTextAsync("routed");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_FilterByReplicaAddress_ShowsOnlyThatReplicasService()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        await using var gateway = await GatewayTestHost.StartAsync();
        var fleet = new Fleet(farm);
        var services = fleet.Services().ToList();
        gateway.Sink.Publish(Snapshot(services));
        var target = services.Single(s => s.Name == "mail_worker").Tasks[1];

        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("40");
        await page.Locator("#filter").FillAsync(target.Address);

        await Expect(page.Locator("#service-count")).ToHaveTextAsync("1 of 40");
        await Expect(page.Locator("#service-list > [data-service]:visible")).ToHaveCountAsync(1);
        var rows = page.Locator("[data-service='mail_worker'] tr[data-task]:visible");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Locator("[data-field=hostname]")).ToHaveTextAsync(HostName(target));
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_AcmeCertificateThatCannotBeObtained_IsShownWithTheReason()
    {
        // A certificate authority that refuses connections: the order fails, and keeps failing, with a reason.
        var folder = Directory.CreateTempSubdirectory("ingress-dashboard-acme-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "secrets"));
            await using var farm = await ReplicaFarm.StartAsync(1);
            await using var gateway = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
            {
                ["Ingress:Tls:CertificatesPath"] = Path.Combine(folder, "secrets"),
                ["Ingress:Acme:DirectoryUrl"] = $"https://127.0.0.1:{FreePort.Next()}/dir",
                ["Ingress:Acme:AcceptTermsOfService"] = "true",
                ["Ingress:Acme:StoragePath"] = Path.Combine(folder, "acme"),
                ["Ingress:Acme:CheckInterval"] = "00:00:00.200",
            }, tlsPortCount: 1);
            gateway.Sink.Publish(Snapshot([Service("shop", Labels("ingress.host=shop.example.test", $"ingress.port={farm.Port}", "ingress.tls.acme=true"), [Replica("shop", 1, farm.Addresses[0])])]));

            await using var browser = await chromium.OpenAsync(gateway.AdminUri);
            var page = browser.Page;
            await Expect(page.Locator("#acme")).ToHaveTextAsync("standalone (issuer) · 0 of 1 valid · 1 failing");
            await Expect(page.Locator("#acme-failing-title")).ToHaveTextAsync("1 ACME certificate cannot be obtained");
            var item = page.Locator("#acme-failing-list li[data-names='shop.example.test']");
            await Expect(item).ToContainTextAsync("the certificate authority could not be reached");
            Assert.Empty(browser.Errors);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Dashboard_FollowerWhoseManagerIsGone_SaysSoInABanner_AndKeepsTheLastState()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        using var gateways = new ControlGateways();
        var (manager, port) = await gateways.StartManagerAsync();
        manager.Sink.Publish(Snapshot(new Fleet(farm).Services()));
        await using var follower = await gateways.StartFollowerAsync($"127.0.0.1:{port}");
        await using var browser = await chromium.OpenAsync(follower.AdminUri);
        var page = browser.Page;
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("40");
        await Expect(page.Locator("#control")).ToHaveTextAsync(new Regex("^following "));
        await Expect(page.Locator("#control-lost")).ToBeHiddenAsync();

        await manager.DisposeAsync();

        await Expect(page.Locator("#control-lost")).ToBeVisibleAsync();
        await Expect(page.Locator("#control-lost-title")).ToHaveTextAsync(new Regex("^No manager gateway answers since [0-9:]+: serving the last known state$"));
        await Expect(page.Locator("#control-lost-detail")).ToContainTextAsync("cannot connect");
        await Expect(page.Locator("#control")).ToHaveTextAsync("following no manager");
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("40");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Dashboard_GatewayStops_ShowsTheOutageAndKeepsTheLastStateDimmed()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        var gateway = await GatewayTestHost.StartAsync();
        gateway.Sink.Publish(Snapshot(new Fleet(farm).Services()));
        await using var browser = await chromium.OpenAsync(gateway.AdminUri);
        var page = browser.Page;
        await Expect(page.Locator("#live")).ToHaveClassAsync("live ok");
        await Expect(page.Locator("#service-count")).ToHaveTextAsync("40");

        await gateway.DisposeAsync();

        await Expect(page.Locator("#live")).ToHaveClassAsync("live error");
        await Expect(page.Locator("#live")).ToContainTextAsync("Cannot reach /api/state");
        await Expect(page.Locator("#main")).ToHaveClassAsync("stale");
        await Expect(page.Locator("#service-list > [data-service]")).ToHaveCountAsync(40);
        // The only errors are the browser's own reports of the refused polls.
        Assert.All(browser.Errors, error => Assert.Contains("ERR_CONNECTION_REFUSED", error));
    }

    [Fact]
    public async Task Dashboard_LiveGatewayUnderTraffic_SavesScreenshotForTheDocs()
    {
        await using var farm = await ReplicaFarm.StartAsync(Fleet.FarmSize);
        await using var gateway = await GatewayTestHost.StartAsync();
        var fleet = new Fleet(farm);
        // Probed services, one with a replica whose /healthz fails; a disabled one; an invalid one: what a real swarm shows.
        var probed = new[] { "ingress.healthcheck.path=/healthz", "ingress.healthcheck.interval=1s" };
        var labels = new Dictionary<string, string[]>
        {
            ["auth_api"] = probed,
            ["auth_web"] = probed,
            ["auth_cache"] = ["ingress.lb=least_requests"],
            ["billing_api"] = probed,
            ["reports_admin"] = ["ingress.enable=false"],
        };
        var sick = fleet.Routed("auth_api", 3).Tasks[2];
        farm.Sick[sick.Address] = true;
        var broken = Service("legacy_app", Labels("ingress.lb=fastest", "ingress.publish=8080:8080"), [Replica("legacy_app", 1, farm.Addresses[^1])]);
        gateway.Sink.Publish(Snapshot([.. fleet.Services(labels), broken]));

        using var stop = new CancellationTokenSource(Chromium.Timeout * 2);
        var traffic = new[]
        {
            Traffic.RunAsync(gateway.Public, Fleet.Host("auth_web"), TimeSpan.FromMilliseconds(4), "/?delay=3", stop.Token),
            Traffic.RunAsync(gateway.Public, Fleet.Host("auth_api"), TimeSpan.FromMilliseconds(10), "/?delay=1", stop.Token),
            Traffic.RunAsync(gateway.Public, Fleet.Host("billing_api"), TimeSpan.FromMilliseconds(30), "/?delay=25", stop.Token),
            Traffic.RunAsync(gateway.Public, Fleet.Host("billing_web"), TimeSpan.FromMilliseconds(15), "/?delay=8", stop.Token),
            Traffic.RunAsync(gateway.Public, Fleet.Host("chat_api"), TimeSpan.FromMilliseconds(50), "/?delay=12", stop.Token),
        };

        await using var browser = await chromium.OpenAsync(gateway.AdminUri, height: 1100);
        var page = browser.Page;
        // A rescale while the page is open, so the event list shows tasks arriving.
        var scaled = fleet.Routed("billing_web", 4);
        gateway.Sink.Publish(Snapshot([.. fleet.Services(labels).Select(s => s.Name == scaled.Name ? scaled : s), broken]));
        await Expect(page.Locator("[data-service='billing_web'] [data-field=replicas]")).ToHaveTextAsync("4/4");
        foreach (var name in new[] { "auth_api", "auth_web" })
        {
            await page.Locator($"[data-service='{name}'] .service-head").ClickAsync();
        }

        var sickRow = page.Locator($"tr[data-task='{sick.Id}']");
        await Expect(sickRow.Locator("[data-field=health]")).ToHaveTextAsync("unhealthy (probe)");
        // Out of rotation: the next intervals give it no traffic while its two siblings share the load.
        await Expect(sickRow.Locator("[data-field=rate]")).ToHaveTextAsync("0.0");
        await Expect(page.Locator("[data-service='auth_api'] [data-field=replicas]")).ToHaveTextAsync("2/3");
        await Expect(page.Locator("[data-service='auth_api'] .service-head [data-field=rate]")).ToHaveTextAsync(NonZeroRate());
        await Expect(page.Locator("[data-service='billing_api'] .service-head [data-field=latency]")).ToHaveTextAsync(Latency());
        await Expect(page.Locator("#live")).ToHaveClassAsync("live ok");

        // Every run renders into artifacts/; INGRESS_UPDATE_SCREENSHOT=1 also refreshes the README's copy in docs/.
        var file = Repository.PathOf("artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await page.ScreenshotAsync(new() { Path = file });
        await stop.CancelAsync();
        await Task.WhenAll(traffic);
        Assert.True(new FileInfo(file).Length > 10_000, $"{file} is too small to be a rendered page.");
        if (Environment.GetEnvironmentVariable("INGRESS_UPDATE_SCREENSHOT") == "1")
        {
            File.Copy(file, Repository.PathOf("docs", "dashboard.png"), overwrite: true);
        }
        Assert.Empty(browser.Errors);
    }

    /// <summary>Service, host name, address and short task ID of every replica row on show, sorted.</summary>
    private static async Task<IEnumerable<string>> VisibleReplicasAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll('tr[data-task]')]
                .filter(row => row.offsetParent !== null)
                .map(row => [row.closest('[data-service]').dataset.service,
                             row.querySelector('[data-field=hostname]').textContent,
                             row.querySelector('[data-field=address]').textContent,
                             row.querySelector('[data-field=task]').textContent].join(' ')))
            """);
        return JsonSerializer.Deserialize<string[]>(json)!.Order(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^(?:[1-9]\d*(?:\.\d)?|0\.[1-9])$")]
    private static partial Regex NonZeroRate();

    [GeneratedRegex(@"^\d+(?:\.\d+)? (?:ms|s)$")]
    private static partial Regex Latency();
}
