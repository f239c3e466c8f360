using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Transport;

/// <summary>
/// Fixed-size native buffers for one <see cref="EventLoop"/>'s connections. A connection holds a buffer while it has
/// bytes to keep, and an idle one gives it back by the next tick, so memory follows the number of requests in flight,
/// not the number of open connections; the pool keeps a few free buffers for the next requests and returns the rest.
/// </summary>
/// <remarks>
/// Buffers are whole pages from <c>mmap</c>, not from the C heap: a burst of connections leaves no freed-but-resident
/// heap behind (glibc keeps freed blocks of this size in its heap, so they would stay in the gateway's RSS for good).
/// Not thread-safe: used only on its loop's thread.
/// </remarks>
internal sealed unsafe class BufferPool : IDisposable
{
    /// <summary>The size of every buffer: a request head must fit in one to be relayed (larger heads go to Kestrel).</summary>
    public const int BufferSize = 16 * 1024;

    /// <summary>Free buffers kept for reuse; beyond that, returned buffers are freed.</summary>
    private const int MaxFree = 64;

    private readonly Stack<nint> _free = new();

    public byte* Rent()
    {
        if (_free.Count > 0)
        {
            return (byte*)_free.Pop();
        }

        var buffer = Libc.MMap(null, BufferSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        if (buffer == (void*)-1)
        {
            throw new OutOfMemoryException($"mmap of a {BufferSize}-byte relay buffer failed (errno {Libc.LastError}).");
        }

        return (byte*)buffer;
    }

    public void Return(byte* buffer)
    {
        if (_free.Count < MaxFree)
        {
            _free.Push((nint)buffer);
        }
        else
        {
            Libc.MUnmap(buffer, BufferSize);
        }
    }

    public void Dispose()
    {
        while (_free.Count > 0)
        {
            Libc.MUnmap((byte*)_free.Pop(), BufferSize);
        }
    }
}
