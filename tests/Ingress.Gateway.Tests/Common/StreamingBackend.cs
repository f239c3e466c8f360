using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// A real Kestrel replica for the relay's streaming cases: it hashes request bodies, sends large, chunked or empty
/// responses on demand, echoes WebSocket messages, records request headers, and counts its TCP connections.
/// </summary>
/// <remarks>
/// <c>POST</c> any path: answers <c>length:sha256</c> of the body (<c>?readDelay=ms</c> waits before reading it). <c>GET /bytes?n=N</c>: N pattern bytes with a
/// Content-Length. <c>GET /chunked?n=N</c>: the same bytes, flushed in 8 KB pieces (chunked). <c>/status/N</c>: an
/// empty response with status N. <c>?delay=ms</c> delays any answer. <c>/ws</c>: a WebSocket echo.
/// </remarks>
internal sealed class StreamingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;

    private StreamingBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}/";

    /// <summary>TCP connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every request's method, raw target and headers, in arrival order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<StreamingBackend> StartAsync(TimeSpan? keepAliveTimeout = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        StreamingBackend? self = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            if (keepAliveTimeout is { } timeout)
            {
                kestrel.Limits.KeepAliveTimeout = timeout;
            }

            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
            {
                Interlocked.Increment(ref self!._connections);
                return next(connection);
            }));
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(context => Serve(self!, context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        self = new StreamingBackend(app, new Uri(address).Port);
        return self;
    }

    /// <summary>The pattern <c>/bytes</c> and <c>/chunked</c> send: byte i is i mod 251.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }

    private static async Task Serve(StreamingBackend self, HttpContext context)
    {
        var request = context.Request;
        self.Requests.Enqueue(RecordedRequest.From(context));
        if (request.Query.TryGetValue("delay", out var delay))
        {
            await Task.Delay(int.Parse(delay!, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
        }

        var path = request.Path.Value ?? "/";
        if (context.WebSockets.IsWebSocketRequest)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
            }
        }

        if (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method))
        {
            if (request.Query.TryGetValue("readDelay", out var readDelay))
            {
                // A replica slow to take the body: the gateway must not blame the client for it.
                await Task.Delay(int.Parse(readDelay!, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[65536];
            long length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }

            await WriteAsync(context, $"{length}:{Convert.ToHexString(hash.GetHashAndReset())}");
            return;
        }

        if (path.StartsWith("/status/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = int.Parse(path["/status/".Length..], System.Globalization.CultureInfo.InvariantCulture);
            return;
        }

        var n = request.Query.TryGetValue("n", out var count) ? int.Parse(count!, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (path == "/headers")
        {
            // A response head of about n bytes (many long cookies do this).
            context.Response.Headers["X-Big"] = new string('h', n);
            await WriteAsync(context, "ok");
            return;
        }

        if (path == "/bytes")
        {
            context.Response.ContentLength = n;
            await context.Response.Body.WriteAsync(Pattern(n), context.RequestAborted);
            return;
        }

        if (path == "/chunked")
        {
            var bytes = Pattern(n);
            for (var offset = 0; offset < n; offset += 8192)
            {
                await context.Response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(8192, n - offset)), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            return;
        }

        await WriteAsync(context, "ok");
    }

    /// <summary>A short text answer with a Content-Length, so raw-socket tests can read it exactly.</summary>
    private static Task WriteAsync(HttpContext context, string text)
    {
        context.Response.ContentLength = text.Length;
        return context.Response.WriteAsync(text);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
