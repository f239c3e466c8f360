using System.Collections.Concurrent;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Transport;

/// <summary>
/// One thread with one epoll instance: it owns the sockets registered with it and runs all of their work, so nothing a
/// connection does needs a lock or a thread hop. Connection sockets are registered edge-triggered for input and output
/// once, for their lifetime, as nginx does; the handlers keep track of what is ready. Listening sockets are
/// level-triggered.
/// </summary>
/// <remarks>
/// Other threads talk to a loop only through <see cref="Post"/>, which queues work and wakes the loop through an eventfd.
/// A handler must never block: everything on a loop is non-blocking socket calls and bookkeeping.
/// </remarks>
internal sealed unsafe partial class EventLoop : IDisposable
{
    /// <summary>How often <see cref="ILoopHandler.OnTick"/> runs: the resolution of every timeout the relay keeps.</summary>
    public const int TickInterval = 100;

    private const int MaxEvents = 256;
    private const uint ConnectionEvents = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly List<ILoopHandler?> _handlers = [];
    private readonly List<uint> _generations = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly List<(long At, Action Work)> _scheduled = [];
    private readonly Thread _thread;
    private volatile bool _stopping;
    private volatile bool _exited;
    private int _wakePending;
    private long _nextTick;
    private readonly TimeProvider _time;
    private readonly long _timestampsPerMs;

    public EventLoop(int id, ILogger logger, TimeProvider? time = null)
    {
        Id = id;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _timestampsPerMs = Math.Max(1, _time.TimestampFrequency / 1000);
        Now = ReadClock();
        _epoll = Libc.EpollCreate1(Libc.SOCK_CLOEXEC);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {Libc.LastError}).");
        }

        _wakeFd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_wakeFd < 0)
        {
            var errno = Libc.LastError;
            Libc.Close(_epoll);
            throw new IOException($"eventfd failed (errno {errno}).");
        }

        Register(new WakeHandler(this), _wakeFd, Libc.EPOLLIN | Libc.EPOLLET);
        Buffers = new BufferPool();
        _thread = new Thread(Run) { IsBackground = true, Name = $"ingress-loop-{id}" };
    }

    /// <summary>This loop's index in its group.</summary>
    public int Id { get; }

    /// <summary>
    /// The loop's clock, in milliseconds of its <see cref="TimeProvider"/>'s timestamps, read once per wake-up: every
    /// deadline the relay keeps is measured with it, so a fake time provider drives them all in tests.
    /// </summary>
    public long Now { get; private set; }

    /// <summary>Native buffers for this loop's connections.</summary>
    public BufferPool Buffers { get; }

    public void Start() => _thread.Start();

    private long ReadClock() => _time.GetTimestamp() / _timestampsPerMs;

    /// <summary>Registers a connection socket, edge-triggered for input, output and peer shutdown. Returns its slot.</summary>
    public int RegisterConnection(ILoopHandler handler, int fd) => Register(handler, fd, ConnectionEvents);

    /// <summary>Registers <paramref name="fd"/> for <paramref name="events"/>; returns the slot to unregister it with.</summary>
    public int Register(ILoopHandler handler, int fd, uint events)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
            _handlers[slot] = handler;
        }
        else
        {
            slot = _handlers.Count;
            _handlers.Add(handler);
            _generations.Add(0);
        }

        var ev = stackalloc byte[16];
        EpollEvents.Fill(ev, events, ((ulong)_generations[slot] << 32) | (uint)slot);
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, fd, ev) != 0)
        {
            var errno = Libc.LastError;
            Release(slot);
            throw new IOException($"epoll_ctl(ADD) failed (errno {errno}).");
        }

        return slot;
    }

    /// <summary>Removes <paramref name="fd"/> from the loop (before it is closed, or handed to another owner).</summary>
    public void Unregister(int slot, int fd)
    {
        var ev = stackalloc byte[16];
        Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, fd, ev);
        Release(slot);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop's thread, soon. Callable from any thread. Once the loop has exited, it
    /// runs on the caller's thread instead: nothing runs on the loop's sockets any more, and posted work is never lost.
    /// </summary>
    public void Post(Action work)
    {
        _posted.Enqueue(work);
        if (_exited)
        {
            // The loop sets the flag before its last drain, so work queued after that drain is seen here.
            RunPosted();
            return;
        }

        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    /// <summary>False once the loop's thread has exited (or before it started): posted work would never run.</summary>
    public bool IsRunning => _thread.IsAlive && !_stopping;

    /// <summary>Runs <paramref name="work"/> on the loop's thread after about <paramref name="delayMs"/>. Loop thread only.</summary>
    public void Schedule(long delayMs, Action work) => _scheduled.Add((Now + delayMs, work));

    /// <summary>Closes every socket still registered (on the loop's thread), then stops the loop; its thread exits.</summary>
    public void Stop() => Post(() =>
    {
        for (var slot = 0; slot < _handlers.Count; slot++)
        {
            if (_handlers[slot] is { } handler)
            {
                AbortQuietly(handler);
            }
        }

        _stopping = true;
    });

    /// <summary>Waits for the loop's thread to exit, for at most <paramref name="timeout"/>.</summary>
    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    public void Dispose()
    {
        if (_thread.IsAlive)
        {
            Stop();
            if (!Join(TimeSpan.FromSeconds(5)))
            {
                // The thread may still touch the epoll set and the buffers: leak them rather than free them under it.
                LogStopTimedOut(Id);
                return;
            }
        }

        Libc.Close(_wakeFd);
        Libc.Close(_epoll);
        Buffers.Dispose();
    }

    private void Release(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _freeSlots.Push(slot);
    }

    private void Run()
    {
        using var events = new EpollEvents(MaxEvents);
        Now = ReadClock();
        _nextTick = Now + TickInterval;
        while (!_stopping)
        {
            var timeout = (int)Math.Clamp(_nextTick - Now, 0, TickInterval);
            var count = Libc.EpollWait(_epoll, events.Pointer, MaxEvents, timeout);
            Now = ReadClock();
            if (count < 0)
            {
                var errno = Libc.LastError;
                if (errno != Errno.EINTR)
                {
                    LogWaitFailed(errno);
                    Thread.Sleep(10);
                }

                continue;
            }

            for (var i = 0; i < count; i++)
            {
                var data = events.Data(i);
                var slot = (int)(uint)data;
                if (slot < _handlers.Count && _generations[slot] == (uint)(data >> 32) && _handlers[slot] is { } handler)
                {
                    Dispatch(handler, events.Events(i));
                }
            }

            RunPosted();
            if (Now >= _nextTick)
            {
                _nextTick = Now + TickInterval;
                Tick();
            }
        }

        _exited = true;
        RunPosted();
    }

    private void Dispatch(ILoopHandler handler, uint events)
    {
        try
        {
            handler.OnEvents(events);
        }
        catch (Exception ex)
        {
            // A bug in one connection's handling must not stop the loop and every other connection on it.
            LogHandlerFailed(ex);
            AbortQuietly(handler);
        }
    }

    private void RunPosted()
    {
        // A full fence: a Post that enqueues after the drain below starts must see the flag clear and wake the loop.
        Interlocked.Exchange(ref _wakePending, 0);
        while (_posted.TryDequeue(out var work))
        {
            try
            {
                work();
            }
            catch (Exception ex)
            {
                LogHandlerFailed(ex);
            }
        }
    }

    private void Tick()
    {
        for (var i = _scheduled.Count - 1; i >= 0; i--)
        {
            if (_scheduled[i].At <= Now)
            {
                var work = _scheduled[i].Work;
                _scheduled.RemoveAt(i);
                try
                {
                    work();
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(ex);
                }
            }
        }

        // Index-based: a tick may close connections, which frees (and may reuse) slots.
        for (var slot = 0; slot < _handlers.Count; slot++)
        {
            if (_handlers[slot] is { } handler)
            {
                try
                {
                    handler.OnTick(Now);
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(ex);
                    AbortQuietly(handler);
                }
            }
        }
    }

    private void AbortQuietly(ILoopHandler handler)
    {
        try
        {
            handler.Abort();
        }
        catch (Exception ex)
        {
            LogHandlerFailed(ex);
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "A relay connection failed unexpectedly; it was closed and the loop goes on.")]
    private partial void LogHandlerFailed(Exception exception);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "epoll_wait failed (errno {Errno}).")]
    private partial void LogWaitFailed(int errno);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Event loop {Loop} did not stop within 5 s; its epoll set and buffers were left allocated.")]
    private partial void LogStopTimedOut(int loop);

    private sealed class WakeHandler(EventLoop loop) : ILoopHandler
    {
        public void OnEvents(uint events)
        {
            ulong value;
            Libc.Read(loop._wakeFd, (byte*)&value, sizeof(ulong));
        }

        public void OnTick(long nowMs)
        {
        }

        public void Abort()
        {
        }
    }
}
