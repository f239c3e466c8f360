using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Common;

/// <summary>A real Kestrel destination on 127.0.0.1 that answers every path with its name and records what it received.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _inFlight;
    private int _maxInFlight;

    private TestBackend(string name, WebApplication app, string ip, int port)
    {
        Name = name;
        _app = app;
        Ip = ip;
        Port = port;
    }

    public string Name { get; }

    public string Ip { get; }

    public int Port { get; }

    public string Address => $"http://{Ip}:{Port}/";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>The status <c>/healthz</c> answers with; tests flip it to make active probes fail.</summary>
    public int HealthStatus { get; set; } = 200;

    public string? LastBody { get; private set; }

    /// <summary>The most requests this backend has had in progress at once: above 1 only if requests reached it concurrently.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Requests other than health probes.</summary>
    public int ServedCount => Requests.Count(r => !r.PathAndQuery.StartsWith("/healthz", StringComparison.Ordinal));

    public static async Task<TestBackend> StartAsync(string name, int port = 0, string ip = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{ip}:{port}");
        var app = builder.Build();
        TestBackend? self = null;
        app.Run(async context =>
        {
            self!.Requests.Enqueue(RecordedRequest.From(context));
            self.Enter();
            try
            {
                await self.ServeAsync(context);
            }
            finally
            {
                Interlocked.Decrement(ref self._inFlight);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new TestBackend(name, app, ip, new Uri(address).Port);
        return self;
    }

    public static async Task<TestBackend[]> StartManyAsync(params string[] names) =>
        await Task.WhenAll(names.Select(n => StartAsync(n)));

    /// <summary>Starts one backend per name on the same port of 127.0.0.2, .3, ...: a service's tasks share their target port.</summary>
    public static async Task<TestBackend[]> StartReplicasAsync(params string[] names)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Next();
            var started = new List<TestBackend>();
            try
            {
                for (var i = 0; i < names.Length; i++)
                {
                    started.Add(await StartAsync(names[i], port, $"127.0.0.{i + 2}"));
                }

                return [.. started];
            }
            catch (IOException) when (attempt < 5)
            {
                // The port was taken meanwhile: release what started and pick another.
                foreach (var backend in started)
                {
                    await backend.DisposeAsync();
                }
            }
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        if (context.Request.Query.TryGetValue("delay", out var delay))
        {
            await Task.Delay(int.Parse(delay!, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
        }

        if (context.Request.Query.ContainsKey("abort"))
        {
            // The connection is reset without an answer: a replica failing one request.
            context.Abort();
            return;
        }

        if (context.Request.Path == "/healthz")
        {
            context.Response.StatusCode = HealthStatus;
        }

        if (context.Request.ContentLength > 0 || context.Request.Headers.ContainsKey("Transfer-Encoding"))
        {
            using var reader = new StreamReader(context.Request.Body);
            LastBody = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var query = context.Request.Query;
        foreach (var header in query["header"])
        {
            // ?header=Name:Value, as often as wanted: response headers of the replica's own.
            if (header?.Split(':', 2) is [var name, var value])
            {
                context.Response.Headers.Append(name, value);
            }
        }

        context.Response.ContentType = query.TryGetValue("type", out var type) ? type.ToString() : "text/plain";
        if (query.TryGetValue("size", out var size))
        {
            // A body of a given size (?size=N), of a given type (?type=), or compressed by the replica itself (?gzip).
            var body = Body(int.Parse(size!, System.Globalization.CultureInfo.InvariantCulture));
            if (query.ContainsKey("gzip"))
            {
                using var compressed = new MemoryStream();
                using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest))
                {
                    gzip.Write(body);
                }

                body = compressed.ToArray();
                context.Response.Headers.ContentEncoding = "gzip";
            }

            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
            return;
        }

        await context.Response.WriteAsync(Name);
    }

    /// <summary>The body a backend answers <c>?size=<paramref name="length"/></c> with: text, as compressible as text is.</summary>
    public static byte[] Body(int length)
    {
        var body = new byte[length];
        for (var i = 0; i < length; i++)
        {
            body[i] = (byte)(i % 64 == 63 ? '\n' : 'a' + (i / 7 % 26));
        }

        return body;
    }

    private void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        var max = Volatile.Read(ref _maxInFlight);
        while (now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) is var seen && seen != max)
        {
            max = seen;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <param name="RawTarget">The request target exactly as it arrived, before Kestrel decoded it.</param>
internal sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string? RemoteIp, string RawTarget)
{
    public static RecordedRequest From(HttpContext context) => new(
        context.Request.Method,
        context.Request.Path + context.Request.QueryString,
        context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
        context.Connection.RemoteIpAddress?.ToString(),
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget);
}
