using System.Collections.Concurrent;
using System.Net.Sockets;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Transport;

/// <summary>One event loop on its own thread, with real sockets in its real epoll set.</summary>
public sealed class EventLoopTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly RecordingLogger<EventLoop> _logger = new();
    private readonly EventLoop _loop;

    public EventLoopTests()
    {
        _loop = new EventLoop(7, _logger);
        _loop.Start();
    }

    [Fact]
    public async Task Post_FromAnotherThread_RunsOnTheLoopsOwnThread()
    {
        var (name, id) = await OnLoopAsync(() => (Thread.CurrentThread.Name, Environment.CurrentManagedThreadId));

        Assert.Equal("ingress-loop-7", name);
        Assert.NotEqual(Environment.CurrentManagedThreadId, id);
    }

    [Fact]
    public async Task RegisterConnection_PeerSends_HandlerHearsEpollInOnTheLoop()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var handler = new RecordingHandler();
        await OnLoopAsync(() => _loop.RegisterConnection(handler, pair.Fd));

        await pair.Peer.SendAsync("x"u8.ToArray(), SocketFlags.None);

        await Eventually.WaitUntilAsync(() => handler.Events.Any(e => (e & Libc.EPOLLIN) != 0), "EPOLLIN for the peer's byte");
        Assert.Equal(await OnLoopAsync(() => Environment.CurrentManagedThreadId), handler.EventThread);
    }

    [Fact]
    public async Task RegisterConnection_PeerShutsDown_HandlerHearsEpollRdHup()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var handler = new RecordingHandler();
        await OnLoopAsync(() => _loop.RegisterConnection(handler, pair.Fd));

        pair.Peer.Shutdown(SocketShutdown.Send);

        await Eventually.WaitUntilAsync(() => handler.Events.Any(e => (e & Libc.EPOLLRDHUP) != 0), "EPOLLRDHUP for the peer's FIN");
    }

    [Fact]
    public async Task Register_ThenUnregister_PeerSends_HandlerHearsNothing()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var handler = new RecordingHandler();
        await OnLoopAsync(() => _loop.Unregister(_loop.Register(handler, pair.Fd, Libc.EPOLLIN), pair.Fd));

        await pair.Peer.SendAsync("x"u8.ToArray(), SocketFlags.None);

        await Continually.HoldsAsync(() => handler.Events.IsEmpty, TimeSpan.FromMilliseconds(300), "no event for an unregistered socket");
    }

    [Fact]
    public async Task OnTick_RegisteredHandler_IsTickedEveryTickInterval()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var handler = new RecordingHandler();
        await OnLoopAsync(() => _loop.RegisterConnection(handler, pair.Fd));

        await Eventually.WaitUntilAsync(() => handler.Ticks.Count >= 4, "four ticks");

        var ticks = handler.Ticks.ToArray();
        for (var i = 1; i < ticks.Length; i++)
        {
            Assert.True(ticks[i] - ticks[i - 1] >= EventLoop.TickInterval, $"ticks at {string.Join(", ", ticks)} ms");
        }
    }

    [Fact]
    public async Task Schedule_OnAnIdleLoop_RunsTheWorkOnTheLoopAfterTheDelay()
    {
        var ran = new TaskCompletionSource<(long Now, int Thread)>(TaskCreationOptions.RunContinuationsAsynchronously);

        var (scheduledAt, loopThread) = await OnLoopAsync(() =>
        {
            _loop.Schedule(300, () => ran.SetResult((_loop.Now, Environment.CurrentManagedThreadId)));
            return (_loop.Now, Environment.CurrentManagedThreadId);
        });
        var (ranAt, thread) = await ran.Task.WaitAsync(Patience);

        Assert.InRange(ranAt - scheduledAt, 300, 5_000);
        Assert.Equal(loopThread, thread);
    }

    [Fact]
    public async Task OnEvents_HandlerThrows_IsAbortedAndLoggedAndTheLoopGoesOn()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var handler = new RecordingHandler { Throws = true };

        // A connection is registered for output too: its socket, writable, is reported at once.
        await OnLoopAsync(() => _loop.RegisterConnection(handler, pair.Fd));

        await Eventually.WaitUntilAsync(() => handler.Aborted, "the failed handler to be aborted");
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error && e.EventId == 400);
        Assert.True(await OnLoopAsync(() => true));
    }

    [Fact]
    public async Task Stop_WithHandlersRegistered_AbortsThemAndTheThreadExits()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var handler = new RecordingHandler();
        await OnLoopAsync(() => _loop.RegisterConnection(handler, pair.Fd));

        _loop.Stop();

        Assert.True(_loop.Join(Patience));
        Assert.True(handler.Aborted);
        Assert.False(_loop.IsRunning);
    }

    [Fact]
    public void Post_AfterTheLoopExited_RunsAtOnceOnTheCallersThread()
    {
        _loop.Stop();
        Assert.True(_loop.Join(Patience));
        int? ranOn = null;

        _loop.Post(() => ranOn = Environment.CurrentManagedThreadId);

        Assert.Equal(Environment.CurrentManagedThreadId, ranOn);
    }

    public void Dispose() => _loop.Dispose();

    private Task OnLoopAsync(Action action) => OnLoopAsync(() =>
    {
        action();
        return true;
    });

    private Task<T> OnLoopAsync<T>(Func<T> function)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            try
            {
                done.SetResult(function());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task.WaitAsync(Patience);
    }

    /// <summary>Records what the loop tells it; optionally fails on its first event, as a buggy connection would.</summary>
    private sealed class RecordingHandler : ILoopHandler
    {
        private volatile bool _aborted;

        public ConcurrentQueue<uint> Events { get; } = new();

        public ConcurrentQueue<long> Ticks { get; } = new();

        public int EventThread { get; private set; }

        public bool Throws { get; init; }

        public bool Aborted => _aborted;

        public void OnEvents(uint events)
        {
            EventThread = Environment.CurrentManagedThreadId;
            Events.Enqueue(events);
            if (Throws)
            {
                throw new InvalidOperationException("a handler's bug");
            }
        }

        public void OnTick(long nowMs) => Ticks.Enqueue(nowMs);

        public void Abort() => _aborted = true;
    }
}
