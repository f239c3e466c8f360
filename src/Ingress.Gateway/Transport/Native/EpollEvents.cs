using System.Runtime.InteropServices;

namespace Ingress.Gateway.Transport.Native;

/// <summary>
/// A native array of <c>struct epoll_event</c>, whose layout differs by architecture: packed (12 bytes, data at offset
/// 4) on x64, naturally aligned (16 bytes, data at offset 8) elsewhere.
/// </summary>
internal sealed unsafe class EpollEvents : IDisposable
{
    private static readonly bool s_packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>The size of one <c>struct epoll_event</c> on this architecture.</summary>
    public static readonly int Stride = s_packed ? 12 : 16;

    private static readonly int s_dataOffset = s_packed ? 4 : 8;

    public EpollEvents(int capacity)
    {
        Pointer = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * Stride));
    }

    public byte* Pointer { get; private set; }

    public uint Events(int index) => *(uint*)(Pointer + index * Stride);

    public ulong Data(int index) => *(ulong*)(Pointer + index * Stride + s_dataOffset);

    /// <summary>Fills one event in place (for <c>epoll_ctl</c>), at <paramref name="target"/>, which has <see cref="Stride"/> bytes.</summary>
    public static void Fill(byte* target, uint events, ulong data)
    {
        *(uint*)target = events;
        *(ulong*)(target + s_dataOffset) = data;
    }

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.Free(Pointer);
            Pointer = null;
        }
    }
}
