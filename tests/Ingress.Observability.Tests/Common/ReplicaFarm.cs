using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// Real replicas, cheaply: one Kestrel server on one port at many loopback addresses (127.0.1.1, 127.0.1.2, ...), each
/// address standing for one task, the way a service's tasks share their target port on different IPs. It answers
/// every path with the address that received the request; <c>?delay=ms</c> slows the answer down.
/// </summary>
internal sealed class ReplicaFarm : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);

    private ReplicaFarm(WebApplication app, IReadOnlyList<string> addresses, int port)
    {
        _app = app;
        Addresses = addresses;
        Port = port;
    }

    /// <summary>The loopback addresses listened on, one per replica.</summary>
    public IReadOnlyList<string> Addresses { get; }

    /// <summary>The port shared by every replica: the services' target port.</summary>
    public int Port { get; }

    /// <summary>Addresses whose <c>/healthz</c> answers 503, so active health checks take them out.</summary>
    public ConcurrentDictionary<string, bool> Sick { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests (other than health probes) received on <paramref name="address"/>.</summary>
    public int ServedBy(string address) => _served.GetValueOrDefault(address);

    public static async Task<ReplicaFarm> StartAsync(int replicas)
    {
        // 127.0.0.0/8 is loopback on Linux: every one of these addresses can be bound without configuring anything.
        var addresses = Enumerable.Range(0, replicas).Select(i => $"127.0.{1 + (i / 250)}.{1 + (i % 250)}").ToArray();
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Next();
            try
            {
                return await TryStartAsync(addresses, port);
            }
            catch (IOException) when (attempt < 5)
            {
                // The port is taken on one of the addresses; pick another.
            }
        }
    }

    private static async Task<ReplicaFarm> TryStartAsync(string[] addresses, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in addresses)
            {
                kestrel.Listen(IPAddress.Parse(address), port);
            }
        });
        var app = builder.Build();
        var farm = new ReplicaFarm(app, addresses, port);
        app.Run(farm.AnswerAsync);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return farm;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var address = context.Connection.LocalIpAddress?.ToString() ?? "?";
        if (context.Request.Path == "/healthz")
        {
            context.Response.StatusCode = Sick.ContainsKey(address) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            return;
        }

        _served.AddOrUpdate(address, 1, (_, count) => count + 1);
        if (context.Request.Query.TryGetValue("delay", out var delay))
        {
            await Task.Delay(int.Parse(delay!, CultureInfo.InvariantCulture), context.RequestAborted);
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(address, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
