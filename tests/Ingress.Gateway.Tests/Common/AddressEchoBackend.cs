using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// One Kestrel server listening on one port of many loopback addresses (127.0.0.N), answering every request with the
/// address it was reached on. Give each route or service a destination address of its own, and the answer names the
/// route a request took.
/// </summary>
internal sealed class AddressEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AddressEchoBackend(WebApplication app, int port, string[] addresses)
    {
        _app = app;
        Port = port;
        Addresses = addresses;
    }

    public int Port { get; }

    /// <summary>The loopback addresses served, in order.</summary>
    public string[] Addresses { get; }

    public static async Task<AddressEchoBackend> StartAsync(int firstHost, int count)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Next();
            var addresses = Enumerable.Range(firstHost, count).Select(i => $"127.0.0.{i}").ToArray();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls([.. addresses.Select(a => $"http://{a}:{port}")]);
            var app = builder.Build();
            app.Run(context => context.Response.WriteAsync(context.Connection.LocalIpAddress!.ToString()));
            try
            {
                await app.StartAsync();
                return new AddressEchoBackend(app, port, addresses);
            }
            catch (IOException) when (attempt < 5)
            {
                await app.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
