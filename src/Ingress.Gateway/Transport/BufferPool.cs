using System.Runtime.InteropServices;

namespace Ingress.Gateway.Transport;

/// <summary>
/// Fixed-size native buffers for one <see cref="EventLoop"/>'s connections. A connection holds a buffer only while it
/// has bytes to keep, so memory follows the number of requests in flight, not the number of open connections; the
/// pool keeps a few free buffers for the next requests and returns the rest.
/// </summary>
/// <remarks>Not thread-safe: used only on its loop's thread.</remarks>
internal sealed unsafe class BufferPool : IDisposable
{
    /// <summary>The size of every buffer: a request head must fit in one to be relayed (larger heads go to Kestrel).</summary>
    public const int BufferSize = 16 * 1024;

    /// <summary>Free buffers kept for reuse; beyond that, returned buffers are freed.</summary>
    private const int MaxFree = 64;

    private readonly Stack<nint> _free = new();

    /// <summary>Buffers currently rented out.</summary>
    public int Rented { get; private set; }

    public byte* Rent()
    {
        Rented++;
        return _free.Count > 0 ? (byte*)_free.Pop() : (byte*)NativeMemory.AlignedAlloc(BufferSize, 64);
    }

    public void Return(byte* buffer)
    {
        Rented--;
        if (_free.Count < MaxFree)
        {
            _free.Push((nint)buffer);
        }
        else
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    public void Dispose()
    {
        while (_free.Count > 0)
        {
            NativeMemory.AlignedFree((byte*)_free.Pop());
        }
    }
}
