using Microsoft.AspNetCore.Builder;

namespace Ingress.Hostname.Tests.Infrastructure;

/// <summary>The real application on Kestrel, loopback port 0, inside the test process.</summary>
internal sealed class InProcessHostname : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private InProcessHostname(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    /// <param name="settings">Extra command-line settings, e.g. <c>--Hostname:Name=x</c>; they win over the test defaults.</param>
    /// <param name="requestLog">Receives the per-request lines; discarded when null, so that tests never write to the real stdout.</param>
    public static async Task<InProcessHostname> StartAsync(IEnumerable<string>? settings = null, TextWriter? requestLog = null)
    {
        string[] args = ["--urls", "http://127.0.0.1:0", .. settings ?? []];
        var app = HostnameApp.Build(args, requestLog ?? TextWriter.Null);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(timeout.Token);

        var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
        return new InProcessHostname(app, client);
    }

    /// <summary>Stops the host the way SIGTERM's final step does: Kestrel finishes in-flight requests, then the services stop.</summary>
    public async Task StopAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await App.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await App.DisposeAsync();
    }
}
