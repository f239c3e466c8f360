using System.Globalization;
using System.Net;
using Ingress.Gateway.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary><c>ingress.scheme=h2c</c>: tasks that speak only HTTP/2 over cleartext, as gRPC servers do, on real Kestrel.</summary>
public sealed class H2cBackendTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnH2cService_IsReachedOverHttp2_WhateverTheClientSpeaks(bool relay)
    {
        await using var backend = await Http2OnlyBackend.StartAsync("127.0.0.61");
        await using var gateway = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture) });

        gateway.Sink.Publish(Snapshot("docker", Service("grpc", Labels($"ingress.publish={gateway.EntryPorts[0]}:{backend.Port}", "ingress.scheme=h2c"), [Task("g1", backend.Ip)])));

        var body = await Eventually.WaitAsync(() => TryGet(gateway.Public, "/hello"), b => b is not null, TimeSpan.FromSeconds(10), "the h2c service to be routed");
        Assert.Equal("HTTP/2 /hello", body);
    }

    [Fact]
    public async Task WithoutTheLabel_TheSameTasks_CannotBeReached()
    {
        // The negative control: the task really refuses HTTP/1.1 (Kestrel answers an HTTP/1.x request on an HTTP/2-only
        // endpoint with 400), so the label is what makes it reachable.
        await using var backend = await Http2OnlyBackend.StartAsync("127.0.0.62");
        await using var gateway = await GatewayTestHost.StartAsync();

        gateway.Sink.Publish(Snapshot("docker", Service("grpc", Labels($"ingress.publish={gateway.EntryPorts[0]}:{backend.Port}"), [Task("g1", backend.Ip)])));

        await Eventually.WaitAsync(
            async () => (await gateway.Public.GetAsync("/hello")).StatusCode, s => s == HttpStatusCode.BadRequest, TimeSpan.FromSeconds(10), "the HTTP/2-only task to refuse HTTP/1.1");
    }

    private static async Task<string?> TryGet(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
    }

    /// <summary>A Kestrel endpoint that speaks HTTP/2 only, over cleartext (prior knowledge), answering with the protocol it saw.</summary>
    private sealed class Http2OnlyBackend : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Http2OnlyBackend(WebApplication app, string ip, int port)
        {
            _app = app;
            Ip = ip;
            Port = port;
        }

        public string Ip { get; }

        public int Port { get; }

        public static async Task<Http2OnlyBackend> StartAsync(string ip)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(ip), 0, l => l.Protocols = HttpProtocols.Http2));
            var app = builder.Build();
            app.Run(context => context.Response.WriteAsync($"{context.Request.Protocol} {context.Request.Path}"));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new Http2OnlyBackend(app, ip, new Uri(address).Port);
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
