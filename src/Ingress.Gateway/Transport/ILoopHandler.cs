namespace Ingress.Gateway.Transport;

/// <summary>Something registered with an <see cref="EventLoop"/>: a listening socket or a connection.</summary>
internal interface ILoopHandler
{
    /// <summary>The kernel reported <paramref name="events"/> (<c>EPOLLIN</c>, <c>EPOLLOUT</c>, ...) for this handler's socket.</summary>
    void OnEvents(uint events);

    /// <summary>The loop's periodic tick (every <see cref="EventLoop.TickInterval"/>): check deadlines.</summary>
    void OnTick(long nowMs);

    /// <summary>
    /// Drops the handler at once: a connection closes its socket, a listener stops accepting on this loop. Called when a
    /// handler threw (its state can no longer be trusted) and when the loop stops.
    /// </summary>
    void Abort();
}
