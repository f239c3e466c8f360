using System.IO.MemoryMappedFiles;
using Ingress.Gateway.Hosting;

namespace Ingress.Gateway.Tests.Hosting;

public sealed class ProcessMappingsTests
{
    // Trimmed from a real /proc/<pid>/smaps of the gateway (Native AOT): its code, its read-only data, the relocated
    // read-only segment (written once at load: anonymous pages), its writable data, and the heap.
    private const string Smaps = """
        55d0c4a00000-55d0c5200000 r--p 00000000 08:01 1311 /app/Ingress.Gateway
        Size:               8192 kB
        Rss:                6144 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me sd
        55d0c5200000-55d0c6000000 r-xp 00800000 08:01 1311 /app/Ingress.Gateway
        Size:              14336 kB
        Rss:                9000 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        55d0c6000000-55d0c6100000 r--p 01600000 08:01 1311 /app/Ingress.Gateway
        Size:               1024 kB
        Rss:                1024 kB
        Anonymous:           900 kB
        VmFlags: rd mr mw me ac sd
        55d0c6100000-55d0c6180000 rw-p 01700000 08:01 1311 /app/Ingress.Gateway
        Size:                512 kB
        Rss:                 512 kB
        Anonymous:           300 kB
        VmFlags: rd wr mr mw me ac sd
        55d0c7000000-55d0c7400000 rw-p 00000000 00:00 0                          [heap]
        Size:               4096 kB
        Rss:                2048 kB
        Anonymous:          2048 kB
        7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0
        Size:                132 kB
        Rss:                   8 kB
        Anonymous:             8 kB
        7f1e2d000000-7f1e2d028000 r--p 00000000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
        Size:                160 kB
        Rss:                 160 kB
        Anonymous:             0 kB
        """;

    [Fact]
    public void Parse_RealSmaps_ReadsEachMappingWithItsResidentAndAnonymousSizes()
    {
        var mappings = ProcessMappings.Parse(Smaps);

        Assert.Equal(7, mappings.Count);
        Assert.Equal((0x55d0c5200000UL, 0x55d0c6000000UL), ((ulong)mappings[1].Start, (ulong)mappings[1].End));
        Assert.Equal(("r-xp", "/app/Ingress.Gateway", 9000L, 0L), (mappings[1].Permissions, mappings[1].Path, mappings[1].ResidentKb, mappings[1].AnonymousKb));
        Assert.Equal(("[heap]", 2048L, 2048L), (mappings[4].Path, mappings[4].ResidentKb, mappings[4].AnonymousKb));
        Assert.Equal("", mappings[5].Path);
        Assert.Equal("/usr/lib/x86_64-linux-gnu/libc.so.6", mappings[6].Path);
    }

    [Fact]
    public void IsCleanFilePages_OnlyFilePagesNeverWritten()
    {
        var clean = ProcessMappings.Parse(Smaps).Where(m => m.IsCleanFilePages).Select(m => (m.Permissions, m.Path)).ToList();

        // Not the relocated read-only segment, the writable data, the heap or anonymous memory.
        Assert.Equal([("r--p", "/app/Ingress.Gateway"), ("r-xp", "/app/Ingress.Gateway"), ("r--p", "/usr/lib/x86_64-linux-gnu/libc.so.6")], clean);
    }

    [Fact]
    public void Parse_PathWithSpacesAndDeletedFile_KeepsTheWholePath()
    {
        var mappings = ProcessMappings.Parse("7f00-7f10 r--p 00000000 08:01 9   /tmp/a b/file (deleted)\nRss: 4 kB\n");

        Assert.Equal("/tmp/a b/file (deleted)", Assert.Single(mappings).Path);
    }

    [Fact]
    public void Release_AFileMappedReadOnly_LeavesTheResidentSetAndReadsBackUnchanged()
    {
        var content = new byte[1024 * 1024];
        Random.Shared.NextBytes(content);
        using var file = new MappedTestFile(content, MemoryMappedFileAccess.Read);
        file.ReadAll();
        var before = file.Mapping;
        Assert.True(before.ResidentKb >= 1024, $"the file's pages are resident after reading it: {before}");

        var released = ProcessMappings.Release([before]);

        Assert.Equal(before.ResidentKb, released);
        Assert.Equal(0, file.Mapping.ResidentKb);
        Assert.Equal(content, file.ReadAll());
        Assert.True(file.Mapping.ResidentKb >= 1024, "read again, the pages are mapped back");
    }

    [Fact]
    public void Release_APrivateMappingWrittenTo_IsLeftAloneAndKeepsTheWrites()
    {
        // Copy-on-write: what is written lives only in the mapping's anonymous pages, which an advice would drop.
        using var file = new MappedTestFile(new byte[64 * 1024], MemoryMappedFileAccess.CopyOnWrite);
        file.View.Write(100, (byte)42);

        Assert.Equal(0, ProcessMappings.Release([file.Mapping]));
        Assert.Equal(42, file.View.ReadByte(100));
    }
}
