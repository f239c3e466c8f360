
namespace Ingress.LoadTests.Tests.Infrastructure;

/// <summary>
/// Three hostname replicas behind a minimal round-robin forwarder, all on loopback: the shape
/// the hostname-rotation scenario is meant to check, without needing the gateway.
/// </summary>
internal sealed class RoundRobinProxy : IAsyncDisposable
{
    private readonly TestServer[] _replicas;
    private readonly TestServer _front;
    private readonly HttpClient _client;

    private RoundRobinProxy(TestServer[] replicas, TestServer front, HttpClient client)
    {
        _replicas = replicas;
        _front = front;
        _client = client;
    }

    public Uri Url => _front.Url;

    public static async Task<RoundRobinProxy> StartAsync(params string[] names)
    {
        var replicas = new TestServer[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            replicas[i] = await TestServer.StartNamedAsync(names[i]);
        }

        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var next = -1;
        var front = await TestServer.StartAsync(async context =>
        {
            var replica = replicas[(int)((uint)Interlocked.Increment(ref next) % (uint)replicas.Length)];
            var body = await client.GetByteArrayAsync(replica.Url, context.RequestAborted);
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });

        return new RoundRobinProxy(replicas, front, client);
    }

    public async ValueTask DisposeAsync()
    {
        await _front.DisposeAsync();
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        _client.Dispose();
    }
}
