using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Hosting;
using Ingress.Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;

namespace Ingress.LoadTests.ConfigBuild;

/// <summary>
/// Times what a discovery change costs the gateway for a large swarm: the pure route-table build, then, in a real
/// gateway on loopback, the whole publish (build, diff, hand-over to YARP, YARP's validation and apply, the relay's
/// route snapshot), the moment the routes are live, and the first request through them.
/// </summary>
internal static class ConfigBuildBenchmark
{
    /// <summary>What to build and how often.</summary>
    /// <param name="Services">Labelled services.</param>
    /// <param name="Tasks">Tasks per service.</param>
    /// <param name="Iterations">Timed repetitions of each step after warm-up.</param>
    /// <param name="HostsOnly">Every service routes by host name alone, rather than the default mix of host and path rules.</param>
    public sealed record Settings(int Services, int Tasks, int Iterations, bool HostsOnly = false);

    public static async Task<int> RunAsync(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        await using var backend = await StartBackendAsync(cancellationToken).ConfigureAwait(false);
        var entryPort = FreePort();
        var adminPort = FreePort();
        while (adminPort == entryPort)
        {
            adminPort = FreePort();
        }

        var services = SyntheticSwarm.Create(settings.Services, settings.Tasks, "127.0.0.1", backend.Port, hostsOnly: settings.HostsOnly);

        // 1. The pure function, in this process, without a gateway around it.
        int[] entryPorts = [entryPort];
        var cold = Stopwatch.StartNew();
        var table = RouteTableBuilder.Build(services, entryPorts);
        cold.Stop();
        var builds = new List<double>();
        for (var i = 0; i < settings.Iterations + 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            RouteTableBuilder.Build(services, entryPorts);
            if (i >= 3)
            {
                builds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        // 1b. What a rebuild costs the reconciler after a rolling update: a fresh listing (all new records, as the
        // Docker source makes them), matched against the previous one, then built from the plans of unchanged services.
        var plans = new ServicePlans(entryPort);
        var known = new DiscoverySnapshot(SyntheticSwarm.DockerSourceName, services, DateTimeOffset.UtcNow);
        RouteTableBuilder.Build(known.Services, entryPorts, plans);
        var rebuilds = new List<double>();
        for (var generation = 1; generation <= settings.Iterations + 3; generation++)
        {
            var listed = new DiscoverySnapshot(SyntheticSwarm.DockerSourceName,
                SyntheticSwarm.Create(settings.Services, settings.Tasks, "127.0.0.1", backend.Port, generation, settings.HostsOnly), DateTimeOffset.UtcNow);
            var started = Stopwatch.GetTimestamp();
            known = listed.ReuseUnchanged(known);
            RouteTableBuilder.Build(known.Services, entryPorts, plans);
            if (generation > 3)
            {
                rebuilds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var routed = 0;
        foreach (var state in table.Services)
        {
            routed += state.Status == ServiceRouteStatus.Routed ? 1 : 0;
        }

        await stderr.WriteLineAsync($"config-build: {settings.Services} services x {settings.Tasks} tasks -> {table.Routes.Length} routes, {table.Clusters.Length} clusters, {routed} routed").ConfigureAwait(false);
        if (routed != settings.Services)
        {
            await stderr.WriteLineAsync("config-build: error: some synthetic services were not routed; the label schema changed?").ConfigureAwait(false);
            return 1;
        }

        // 2. A real gateway: discovery publishes, YARP applies, requests flow.
        var app = GatewayApplication.Build(
        [
            "--Ingress:ListenAddress=127.0.0.1",
            $"--Ingress:EntryPorts:0={entryPort}",
            $"--Ingress:AdminPort={adminPort}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sink = app.Services.GetRequiredService<IDiscoverySink>();
            var proxy = app.Services.GetRequiredService<IProxyStateLookup>();
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            var target = new Uri($"http://127.0.0.1:{entryPort}/");
            var probeHost = SyntheticSwarm.HostName(settings.Services / 2 - settings.Services / 2 % 4);
            var lastRoute = table.Routes[^1].RouteId;

            var first = await PublishAsync(sink, client, target, probeHost, services, () => proxy.TryGetRoute(lastRoute, out _), cancellationToken).ConfigureAwait(false);

            // The state a gateway in production is in: Prometheus has scraped the admin port (ASP.NET Core has built its
            // route matcher), and a request Kestrel serves (an HTTP/1.0 one, which the relay hands over) has been
            // through YARP's pipeline. Every change measured below happens after that.
            await client.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/metrics"), cancellationToken).ConfigureAwait(false);
            await SendHttp10Async(entryPort, probeHost, cancellationToken).ConfigureAwait(false);

            // A rolling update: one task replaced. Routes are unchanged, so only the cluster is updated.
            var updates = new List<Timings>();
            var firstCluster = table.Clusters[0].ClusterId;
            for (var generation = 1; generation <= settings.Iterations; generation++)
            {
                var changed = SyntheticSwarm.Create(settings.Services, settings.Tasks, "127.0.0.1", backend.Port, generation, settings.HostsOnly);
                var newTask = changed[0].Tasks[0].Id;
                updates.Add(await PublishAsync(sink, client, target, probeHost, changed,
                    () => proxy.TryGetCluster(firstCluster, out var cluster) && cluster.Destinations.ContainsKey(newTask), cancellationToken).ConfigureAwait(false));
            }

            // A service deployed, then removed: the route set changes, so ASP.NET Core's route matcher is rebuilt on the
            // next request. That request goes to the new service each time.
            var deploys = new List<Timings>();
            var baseline = SyntheticSwarm.Create(settings.Services, settings.Tasks, "127.0.0.1", backend.Port, hostsOnly: settings.HostsOnly);
            for (var i = 1; i <= settings.Iterations; i++)
            {
                var grown = SyntheticSwarm.Create(settings.Services + 1, settings.Tasks, "127.0.0.1", backend.Port, hostsOnly: settings.HostsOnly);
                var added = SyntheticSwarm.ServiceName(settings.Services);
                var addedRoute = RouteTableBuilder.Build(grown, entryPorts).Routes.First(r => r.RouteId.StartsWith(added, StringComparison.Ordinal)).RouteId;
                var addedHost = settings.Services % 4 == 3 && !settings.HostsOnly ? probeHost : SyntheticSwarm.HostName(settings.Services);
                deploys.Add(await PublishAsync(sink, client, target, addedHost, grown, () => proxy.TryGetRoute(addedRoute, out _), cancellationToken).ConfigureAwait(false));
                await PublishAsync(sink, client, target, probeHost, baseline, () => !proxy.TryGetRoute(addedRoute, out _), cancellationToken).ConfigureAwait(false);
            }

            await stdout.WriteAsync(Render(settings, table, cold.Elapsed.TotalMilliseconds, builds, rebuilds, first, updates, deploys)).ConfigureAwait(false);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<Timings> PublishAsync(
        IDiscoverySink sink, HttpClient client, Uri target, string host,
        ImmutableArray<SwarmService> services, Func<bool> applied, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        sink.Publish(new DiscoverySnapshot(SyntheticSwarm.DockerSourceName, services, DateTimeOffset.UtcNow));
        var published = Stopwatch.GetElapsedTime(started);

        // YARP applies from its change callback; it may finish on another thread. Bounded wait.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
        while (!applied())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("YARP did not apply the published config within 30 s.");
            }

            await Task.Yield();
        }

        var live = Stopwatch.GetElapsedTime(started);
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.Host = host;
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var firstResponse = Stopwatch.GetElapsedTime(started);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"the first request through the new config answered {(int)response.StatusCode}, not 200.");
        }

        return new Timings(published.TotalMilliseconds, live.TotalMilliseconds, firstResponse.TotalMilliseconds);
    }

    /// <summary>One HTTP/1.0 request on its own connection; throws unless it is answered 200.</summary>
    private static async Task SendHttp10Async(int port, string host, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n"), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[256];
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var status = Encoding.ASCII.GetString(buffer, 0, read);
        if (!status.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the HTTP/1.0 request through Kestrel was answered '{status.Split('\r')[0]}', not 200.");
        }
    }

    private static string Render(Settings settings, RouteTable table, double coldBuild, List<double> builds, List<double> rebuilds, Timings first, List<Timings> updates, List<Timings> deploys)
    {
        var destinations = 0;
        foreach (var cluster in table.Clusters)
        {
            destinations += cluster.Destinations?.Count ?? 0;
        }

        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"### Config build: {settings.Services:N0} services x {settings.Tasks} tasks, {(settings.HostsOnly ? "host rules only" : "host and path rules")} ({table.Routes.Length:N0} routes, {table.Clusters.Length:N0} clusters, {destinations:N0} destinations)");
        text.AppendLine();
        text.AppendLine(inv, $"- {Environment.ProcessorCount} CPU(s), .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; median of {settings.Iterations} after warm-up unless noted");
        text.AppendLine("- After the first publish, `/metrics` was scraped and one HTTP/1.0 request went through Kestrel, as in production");
        text.AppendLine();
        text.AppendLine("| step | ms |");
        text.AppendLine("|---|---:|");
        text.AppendLine(inv, $"| `RouteTableBuilder.Build`, first call (cold: JIT included) | {coldBuild:0.0} |");
        text.AppendLine(inv, $"| `RouteTableBuilder.Build`, warm (min / median / max) | {Min(builds):0.0} / {Median(builds):0.0} / {Max(builds):0.0} |");
        text.AppendLine(inv, $"| after one task replaced: unchanged services matched + `Build` from their plans (min / median / max) | {Min(rebuilds):0.0} / {Median(rebuilds):0.0} / {Max(rebuilds):0.0} |");
        text.AppendLine(inv, $"| first publish into an empty gateway: build + diff + YARP apply (once) | {first.Published:0.0} |");
        text.AppendLine(inv, $"| ... until every route is live in YARP (once) | {first.Live:0.0} |");
        text.AppendLine(inv, $"| ... until the first request through them answered 200 (once) | {first.FirstResponse:0.0} |");
        text.AppendLine(inv, $"| one task replaced: build + diff + YARP apply | {Median(updates.ConvertAll(u => u.Published)):0.0} |");
        text.AppendLine(inv, $"| ... until the new task is in YARP's cluster | {Median(updates.ConvertAll(u => u.Live)):0.0} |");
        text.AppendLine(inv, $"| ... until the next request answered 200 | {Median(updates.ConvertAll(u => u.FirstResponse)):0.0} |");
        text.AppendLine(inv, $"| one service deployed: build + diff + YARP apply | {Median(deploys.ConvertAll(u => u.Published)):0.0} |");
        text.AppendLine(inv, $"| ... until its route is live in YARP | {Median(deploys.ConvertAll(u => u.Live)):0.0} |");
        text.AppendLine(inv, $"| ... until the first request to it answered 200 | {Median(deploys.ConvertAll(u => u.FirstResponse)):0.0} |");
        text.AppendLine();
        return text.ToString();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Min(List<double> values) => values.Count == 0 ? double.NaN : values.Min();

    private static double Max(List<double> values) => values.Count == 0 ? double.NaN : values.Max();

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task<Backend> StartBackendAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync("ok", context.RequestAborted));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Urls.First();
        return new Backend(app, new Uri(address).Port);
    }

    private sealed record Timings(double Published, double Live, double FirstResponse);

    private sealed class Backend(WebApplication app, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
