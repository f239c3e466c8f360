using System.Net;
using Ingress.Gateway.Acme;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// A real Kestrel on 127.0.0.1 that serves <see cref="Http01ChallengeMiddleware"/> from a store, in front of a terminal
/// that answers 418 (so a request that the middleware passes on is visible). Tests put their own middleware before it.
/// </summary>
internal sealed class ChallengeResponder : IAsyncDisposable
{
    /// <summary>The status of requests the challenge middleware passes down the pipeline.</summary>
    public const int PassedOnStatus = StatusCodes.Status418ImATeapot;

    private readonly WebApplication _app;

    private ChallengeResponder(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    /// <summary>A client of this responder.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts on <paramref name="port"/> (a free one when 0), answering from <paramref name="store"/>.</summary>
    public static async Task<ChallengeResponder> StartAsync(Http01ChallengeStore store, int port = 0, Func<HttpContext, RequestDelegate, Task>? before = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(store);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        if (before is not null)
        {
            app.Use(before);
        }

        app.UseAcmeHttp01Challenges();
        app.Run(context =>
        {
            context.Response.StatusCode = PassedOnStatus;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var bound = port != 0 ? port : new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return new ChallengeResponder(app, bound);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
