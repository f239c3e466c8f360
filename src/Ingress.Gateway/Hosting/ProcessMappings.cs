using System.Globalization;
using System.Runtime.InteropServices;

namespace Ingress.Gateway.Hosting;

/// <summary>One mapping of the process's address space, as <c>/proc/self/smaps</c> describes it.</summary>
/// <param name="Start">The first address.</param>
/// <param name="End">The address after the last byte.</param>
/// <param name="Permissions">The four permission letters, such as <c>r-xp</c>.</param>
/// <param name="Path">The mapped file, or a pseudo-name such as <c>[heap]</c>, or empty.</param>
/// <param name="ResidentKb">How much of it is resident, in KiB.</param>
/// <param name="AnonymousKb">How much of it is anonymous, in KiB: pages written since they were mapped (copy-on-write).</param>
internal readonly record struct ProcessMapping(nuint Start, nuint End, string Permissions, string Path, long ResidentKb, long AnonymousKb)
{
    /// <summary>
    /// Whether the kernel can drop this mapping's pages and read them back from <see cref="Path"/> unchanged: a file's
    /// pages that were never written. A mapping with anonymous pages (a relocated read-only segment, which is written
    /// once at load) is not: dropped, those pages would come back as the file's unrelocated bytes.
    /// </summary>
    public bool IsCleanFilePages => Permissions.Length == 4 && Permissions[1] != 'w' && AnonymousKb == 0 && Path.StartsWith('/');
}

/// <summary>Reads the process's mappings and tells the kernel which clean file pages it no longer needs (Linux).</summary>
internal static partial class ProcessMappings
{
    private const int MADV_DONTNEED = 4;

    /// <summary>The mappings in <paramref name="smaps"/>, the text of <c>/proc/&lt;pid&gt;/smaps</c>.</summary>
    public static List<ProcessMapping> Parse(string smaps)
    {
        ArgumentNullException.ThrowIfNull(smaps);
        var mappings = new List<ProcessMapping>();
        ProcessMapping? current = null;
        foreach (var line in smaps.AsSpan().EnumerateLines())
        {
            if (TryParseHeader(line, out var header))
            {
                if (current is { } done)
                {
                    mappings.Add(done);
                }

                current = header;
            }
            else if (current is { } mapping)
            {
                if (TryParseKb(line, "Rss:", out var rss))
                {
                    current = mapping with { ResidentKb = rss };
                }
                else if (TryParseKb(line, "Anonymous:", out var anonymous))
                {
                    current = mapping with { AnonymousKb = anonymous };
                }
            }
        }

        if (current is { } last)
        {
            mappings.Add(last);
        }

        return mappings;
    }

    /// <summary>
    /// Tells the kernel that the resident pages of <paramref name="mappings"/> are not needed (<c>MADV_DONTNEED</c>): they
    /// leave the process's resident set, stay in the page cache, and a page touched again is mapped back from there.
    /// Only <see cref="ProcessMapping.IsCleanFilePages"/> mappings are advised; the KiB they held is returned.
    /// </summary>
    public static unsafe long Release(IEnumerable<ProcessMapping> mappings)
    {
        ArgumentNullException.ThrowIfNull(mappings);
        long released = 0;
        foreach (var mapping in mappings)
        {
            if (mapping.IsCleanFilePages && mapping.ResidentKb > 0 && MAdvise((void*)mapping.Start, mapping.End - mapping.Start, MADV_DONTNEED) == 0)
            {
                released += mapping.ResidentKb;
            }
        }

        return released;
    }

    /// <summary>Parses <c>start-end perms offset dev inode [path]</c>; false for an attribute line such as <c>Rss:</c>.</summary>
    private static bool TryParseHeader(ReadOnlySpan<char> line, out ProcessMapping mapping)
    {
        mapping = default;
        var dash = line.IndexOf('-');
        var space = line.IndexOf(' ');
        if (dash <= 0 || space <= dash || line[..dash].ContainsAnyExcept("0123456789abcdef"))
        {
            return false;
        }

        if (!nuint.TryParse(line[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
            || !nuint.TryParse(line[(dash + 1)..space], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end))
        {
            return false;
        }

        // Five fields before the path; the path itself may contain spaces.
        var rest = line[(space + 1)..];
        var permissions = rest[..Math.Max(rest.IndexOf(' '), 0)];
        var fields = 0;
        for (; fields < 4 && rest.IndexOf(' ') is var next and >= 0; fields++)
        {
            rest = rest[(next + 1)..].TrimStart(' ');
        }

        var path = fields == 4 ? rest.TrimEnd().ToString() : "";
        mapping = new ProcessMapping(start, end, permissions.ToString(), path, 0, 0);
        return permissions.Length == 4;
    }

    private static bool TryParseKb(ReadOnlySpan<char> line, string name, out long kb)
    {
        kb = 0;
        if (!line.StartsWith(name, StringComparison.Ordinal))
        {
            return false;
        }

        var value = line[name.Length..].Trim();
        return value.EndsWith(" kB", StringComparison.Ordinal)
            && long.TryParse(value[..^3], NumberStyles.None, CultureInfo.InvariantCulture, out kb);
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static unsafe partial int MAdvise(void* address, nuint length, int advice);
}
