using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Ingress.Gateway.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using OpenTelemetry.Proto.Trace.V1;

namespace Ingress.Gateway.Tests.Telemetry;

/// <summary>
/// OpenTelemetry tracing end to end: the real gateway exports over OTLP to a real receiver (<see cref="OtlpCollector"/>),
/// a real client calls it, and real replicas record the <c>traceparent</c> they receive.
/// </summary>
/// <remarks>
/// Activity listeners are process-wide: a gateway that traces would also see the requests of other tests' gateways, and
/// the check that nothing listens while tracing is off would see this class's gateways. So these tests run alone.
/// </remarks>
[Collection(Name)]
public sealed class TracingTests
{
    public const string Name = "Tracing";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Request_TracingOn_ExportsOneServerSpanAndOneAttemptSpanUnderIt(string protocol)
    {
        await using var collector = await OtlpCollector.StartAsync(protocol);
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(Tracing(StaticRoutes.CatchAll([backend]), collector, protocol));
        using var client = ClientOf(gateway);
        using var admin = ClientOf(gateway, gateway.AdminPort);
        var path = "/traced-" + Guid.NewGuid().ToString("N");

        Assert.Equal("ok", await admin.GetStringAsync("/healthz"));
        Assert.Equal("a", await client.GetStringAsync(path));

        var (server, attempts, replica) = await RequestTraceAsync(collector, path, attempts: 1);
        var attempt = attempts[0];
        Assert.Equal("GET backends", server.Span.Name);
        Assert.Equal("ingress", server.ServiceName);
        Assert.Equal("GET", server.Attribute("http.request.method"));
        Assert.Equal("200", server.Attribute("http.response.status_code"));
        Assert.Equal("all", server.Attribute("ingress.route"));
        Assert.Equal("backends", server.Attribute("ingress.service"));
        Assert.Equal("a", server.Attribute("ingress.destination"));
        Assert.Equal(server.TraceId, attempt.TraceId);
        Assert.Equal(server.SpanId, attempt.ParentSpanId);
        Assert.Equal("GET", attempt.Span.Name);
        Assert.Equal(backend.Port.ToString(CultureInfo.InvariantCulture), attempt.Attribute("server.port"));
        Assert.Equal("200", attempt.Attribute("http.response.status_code"));
        AssertSampledTraceparent(server.TraceId, attempt.SpanId, Received(backend, path).Headers["traceparent"]);
        Assert.Equal(attempt.SpanId, replica.ParentSpanId);
        Assert.DoesNotContain(collector.Spans, s => s.Attribute("url.path") == "/healthz");
    }

    [Fact]
    public async Task RetriedRequest_TracingOn_ShowsTwoAttemptSpansUnderOneServerSpan()
    {
        await using var collector = await OtlpCollector.StartAsync("http/protobuf");
        await using var backend = await TestBackend.StartAsync("b");
        var dead = FreePort.Next();

        // The refusing replica comes first: the first attempt fails on it, and the retry goes to the live one.
        var settings = StaticRoutes.CatchAll($"http://127.0.0.1:{dead}/", backend.Address);
        settings["ReverseProxy:Clusters:backends:LoadBalancingPolicy"] = "FirstAlphabetical";
        await using var gateway = await GatewayTestHost.StartAsync(Tracing(settings, collector, "http/protobuf"));
        using var client = ClientOf(gateway);
        var path = "/retried-" + Guid.NewGuid().ToString("N");

        Assert.Equal("b", await client.GetStringAsync(path));

        var (server, attempts, replica) = await RequestTraceAsync(collector, path, attempts: 2);
        Assert.All(attempts, a => Assert.Equal(server.SpanId, a.ParentSpanId));
        var (refused, served) = (attempts[0], attempts[1]);
        Assert.Equal(dead.ToString(CultureInfo.InvariantCulture), refused.Attribute("server.port"));
        Assert.NotNull(refused.Attribute("error.type"));
        Assert.Equal(Status.Types.StatusCode.Error, refused.Span.Status.Code);
        Assert.Equal(backend.Port.ToString(CultureInfo.InvariantCulture), served.Attribute("server.port"));
        Assert.Equal("200", served.Attribute("http.response.status_code"));
        Assert.Equal("d1", server.Attribute("ingress.destination"));
        AssertSampledTraceparent(server.TraceId, served.SpanId, Received(backend, path).Headers["traceparent"]);
        Assert.Equal(served.SpanId, replica.ParentSpanId);
    }

    [Fact]
    public async Task IncomingTraceparent_TracingOn_IsContinued_AndTheReplicaSeesTheAttemptAsParent()
    {
        await using var collector = await OtlpCollector.StartAsync("grpc");
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(Tracing(StaticRoutes.CatchAll([backend]), collector, "grpc"));
        using var client = ClientOf(gateway);
        var (traceId, parentId) = (ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
        var path = "/continued-" + Guid.NewGuid().ToString("N");

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", $"00-{traceId}-{parentId}-01");
        request.Headers.Add("tracestate", "vendor=opaque");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var (server, attempts, _) = await RequestTraceAsync(collector, path, attempts: 1);
        Assert.Equal(traceId, server.TraceId);
        Assert.Equal(parentId, server.ParentSpanId);
        Assert.Equal(server.SpanId, attempts[0].ParentSpanId);
        var received = Received(backend, path);
        AssertSampledTraceparent(traceId, attempts[0].SpanId, received.Headers["traceparent"]);
        Assert.Equal("vendor=opaque", received.Headers["tracestate"]);
    }

    [Fact]
    public async Task IncomingTraceparent_NotSampled_IsNotRecorded_ButStillPropagated()
    {
        await using var collector = await OtlpCollector.StartAsync("http/protobuf");
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(Tracing(StaticRoutes.CatchAll([backend]), collector, "http/protobuf"));
        using var client = ClientOf(gateway);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var path = "/unsampled-" + Guid.NewGuid().ToString("N");

        // The caller decided not to sample: the parent-based sampler keeps that decision, though the ratio is 1.
        using (var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-00" } } })
        {
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A sampled request after it: once its spans are in, the first request's would be too.
        var sentinel = "/sampled-" + Guid.NewGuid().ToString("N");
        Assert.Equal("a", await client.GetStringAsync(sentinel));
        await RequestTraceAsync(collector, sentinel, attempts: 1);

        Assert.DoesNotContain(collector.Spans, s => s.TraceId == traceId || s.Attribute("url.path") == path);
        var traceparent = Received(backend, path).Headers["traceparent"];
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-00$", traceparent);
    }

    [Fact]
    public async Task TracingOn_TheRelayHandsEveryRouteToKestrel_CountedAsTracing()
    {
        await using var collector = await OtlpCollector.StartAsync("http/protobuf");
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await GatewayTestHost.StartAsync(Tracing(StaticRoutes.CatchAll([backend]), collector, "http/protobuf"));

        for (var i = 0; i < 3; i++)
        {
            // A connection each: the relay decides per connection.
            using var client = ClientOf(gateway);
            Assert.Equal("a", await client.GetStringAsync("/"));
        }

        var handoffs = await HandoffsAsync(gateway);
        Assert.Equal(3, handoffs.GetValueOrDefault("tracing"));
        Assert.Equal(3, handoffs.Values.Sum());
    }

    [Fact]
    public async Task TracingOff_NothingListensOrIsExported_TheRelayServes_AndTraceparentPassesUnchanged()
    {
        await using var collector = await OtlpCollector.StartAsync("http/protobuf");
        await using var backend = await TestBackend.StartAsync("a");
        var settings = StaticRoutes.CatchAll([backend]);

        // The standard variable alone does not turn tracing on: only Ingress:Telemetry:Tracing:Endpoint does.
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint;
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "50";
        var activities = new ActivityProbe();
        await using var gateway = await GatewayTestHost.StartAsync(settings, configure: builder => builder.Services.AddSingleton<IStartupFilter>(activities));
        using var client = ClientOf(gateway);
        var incoming = $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

        // Served by the relay (no hand-off), with the client's traceparent as it came.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/relayed") { Headers = { { "traceparent", incoming } } })
        {
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, (await HandoffsAsync(gateway)).Values.Sum());
        Assert.Equal(incoming, Received(backend, "/relayed").Headers["traceparent"]);

        // Served by Kestrel and YARP (HTTP/1.0 is handed off): no Activity there either, and the traceparent unchanged.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/kestrel") { Version = HttpVersion.Version10, VersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            request.Headers.Add("traceparent", incoming);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, (await HandoffsAsync(gateway)).GetValueOrDefault("version"));
        Assert.Equal(incoming, Received(backend, "/kestrel").Headers["traceparent"]);
        Assert.Equal([false], activities.Seen);
        foreach (var source in new[] { "Microsoft.AspNetCore", "System.Net.Http" })
        {
            using var probe = new ActivitySource(source);
            Assert.False(probe.HasListeners(), $"something listens to {source}");
        }

        await Continually.HoldsAsync(() => collector.Exports == 0, TimeSpan.FromSeconds(1), "no export");
    }

    /// <summary>Tracing to <paramref name="collector"/>, with spans sent every 50 ms (the SDK's own <c>OTEL_BSP_SCHEDULE_DELAY</c>).</summary>
    private static Dictionary<string, string?> Tracing(Dictionary<string, string?> settings, OtlpCollector collector, string protocol)
    {
        settings["Ingress:Telemetry:Tracing:Endpoint"] = collector.Endpoint;
        settings["Ingress:Telemetry:Tracing:Protocol"] = protocol;
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "50";
        return settings;
    }

    /// <summary>
    /// A client of the gateway's default entry port (or <paramref name="port"/>) that creates no span and sends no <c>traceparent</c>: it stands for
    /// a client in another process (in this one, the gateway's listener would record its spans, and continue its trace).
    /// </summary>
    private static HttpClient ClientOf(GatewayTestHost gateway, int? port = null) =>
        new(new SocketsHttpHandler { ActivityHeadersPropagator = null })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port ?? gateway.EntryPorts[0]}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>
    /// The trace of the request for <paramref name="path"/>, once it holds the gateway's server span, exactly
    /// <paramref name="attempts"/> client spans (in the order they started), and the one server span of the replica
    /// that answered (the test replicas run in this process, so the gateway's listener records theirs too).
    /// </summary>
    private static async Task<(ReceivedSpan Server, ReceivedSpan[] Attempts, ReceivedSpan Replica)> RequestTraceAsync(
        OtlpCollector collector, string path, int attempts)
    {
        // The gateway's server span is the one it names its route in.
        var server = await Eventually.WaitAsync(
            () => Task.FromResult(collector.Spans.SingleOrDefault(s => s.Span.Kind == Span.Types.SpanKind.Server && s.Attribute("url.path") == path && s.Attribute("ingress.route") is not null)),
            s => s is not null, Timeout, $"the gateway's server span of {path} among:\n" + string.Join('\n', collector.Spans));
        var trace = await Eventually.WaitAsync(
            () => Task.FromResult(collector.Trace(server!.Span.TraceId)),
            t => t.Length >= attempts + 2, Timeout, $"{attempts} attempt spans and the replica's span of {path}");
        await Continually.HoldsAsync(() => collector.Trace(server!.Span.TraceId).Length == trace.Length, TimeSpan.FromMilliseconds(300), "no further span of the trace");
        var clients = trace.Where(s => s.Span.Kind == Span.Types.SpanKind.Client).OrderBy(s => s.Span.StartTimeUnixNano).ToArray();
        var replicas = trace.Where(s => s.Span.Kind == Span.Types.SpanKind.Server && s != server).ToArray();
        Assert.True(
            clients.Length == attempts && replicas.Length == 1 && trace.Length == attempts + 2,
            $"the gateway's server span, {attempts} attempts and the replica's span, no more:\n" + string.Join('\n', trace));
        return (server!, clients, replicas[0]);
    }

    /// <summary>A W3C <c>traceparent</c> of <paramref name="traceId"/>, parent <paramref name="parentId"/>, sampled (other flags, such as .NET's "random" flag, may be set).</summary>
    private static void AssertSampledTraceparent(string traceId, string parentId, string traceparent)
    {
        var match = Regex.Match(traceparent, "^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$");
        Assert.True(match.Success, $"not a traceparent: {traceparent}");
        Assert.Equal((traceId, parentId), (match.Groups[1].Value, match.Groups[2].Value));
        Assert.True((int.Parse(match.Groups[3].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 1) == 1, $"not sampled: {traceparent}");
    }

    private static RecordedRequest Received(TestBackend backend, string path) => Assert.Single(backend.Requests, r => r.PathAndQuery == path);

    /// <summary>The relay's hand-offs, by reason, from <c>/metrics</c>.</summary>
    private static async Task<Dictionary<string, double>> HandoffsAsync(GatewayTestHost gateway)
    {
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        return Regex.Matches(metrics, "^ingress_relay_handoffs_total\\{entrypoint=\"\\d+\",reason=\"(\\w+)\"\\} (\\S+)$", RegexOptions.Multiline)
            .GroupBy(m => m.Groups[1].Value)
            .ToDictionary(g => g.Key, g => g.Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
    }

    /// <summary>Records, first in the gateway's pipeline, whether each request has an Activity.</summary>
    private sealed class ActivityProbe : IStartupFilter
    {
        public List<bool> Seen { get; } = [];

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, then) =>
            {
                if (context.Request.Path.StartsWithSegments("/kestrel"))
                {
                    lock (Seen)
                    {
                        Seen.Add(Activity.Current is not null);
                    }
                }

                return then(context);
            });
            next(app);
        };
    }
}

[CollectionDefinition(TracingTests.Name, DisableParallelization = true)]
public sealed class TracingCollection;
