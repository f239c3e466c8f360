using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Access;

/// <summary>A real Kestrel auth service on loopback for forward auth: answers with <see cref="Answer"/> and records each request's headers.</summary>
internal sealed class AuthService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AuthService(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The address for <c>ingress.auth.forward.address</c>.</summary>
    public string Address => $"http://127.0.0.1:{Port}/verify";

    /// <summary>How the service answers; default 200 with no header.</summary>
    public Func<HttpContext, Task> Answer { get; set; } = _ => Task.CompletedTask;

    /// <summary>Each request's method, target and headers (names ignoring case; several values joined by ", ").</summary>
    public ConcurrentQueue<(string Method, string Target, Dictionary<string, string> Headers)> Requests { get; } = new();

    public static async Task<AuthService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        AuthService? service = null;
        app.Run(async context =>
        {
            service!.Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            await service.Answer(context);
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        service = new AuthService(app, port);
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
