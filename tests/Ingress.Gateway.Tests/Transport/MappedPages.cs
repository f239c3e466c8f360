using System.Runtime.InteropServices;

namespace Ingress.Gateway.Tests.Transport;

/// <summary>Asks the kernel whether an address range is mapped in this process (<c>mincore</c>), to see memory handed back.</summary>
internal static unsafe partial class MappedPages
{
    private const int ENOMEM = 12;

    /// <summary>True when every page of the page-aligned range is mapped; false when any is not.</summary>
    public static bool AreMapped(void* address, int length)
    {
        var pages = (length + Environment.SystemPageSize - 1) / Environment.SystemPageSize;
        var residency = stackalloc byte[pages];
        if (MinCore(address, (nuint)length, residency) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ENOMEM ? false : throw new InvalidOperationException($"mincore failed (errno {errno}).");
    }

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int MinCore(void* address, nuint length, byte* residency);
}
