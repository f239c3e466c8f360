using System.IO.MemoryMappedFiles;
using Ingress.Gateway.Hosting;

namespace Ingress.Gateway.Tests.Hosting;

/// <summary>A temporary file of the test's own, mapped into this process: pages no other test touches.</summary>
internal sealed class MappedTestFile : IDisposable
{
    private readonly string _directory;
    private readonly MemoryMappedFile _file;

    public MappedTestFile(byte[] content, MemoryMappedFileAccess access)
    {
        _directory = Directory.CreateTempSubdirectory("ingress-mappings-").FullName;
        Path = System.IO.Path.Combine(_directory, "pages.bin");
        File.WriteAllBytes(Path, content);
        _file = MemoryMappedFile.CreateFromFile(Path, FileMode.Open, null, 0, access);
        View = _file.CreateViewAccessor(0, content.Length, access);
    }

    public string Path { get; }

    public MemoryMappedViewAccessor View { get; }

    /// <summary>The file's one mapping, as /proc/self/smaps describes it now.</summary>
    public ProcessMapping Mapping => Assert.Single(ProcessMappings.Parse(File.ReadAllText("/proc/self/smaps")), m => m.Path == Path);

    /// <summary>Reads the whole file through the mapping, which makes its pages resident.</summary>
    public byte[] ReadAll()
    {
        var read = new byte[View.Capacity];
        View.ReadArray(0, read, 0, read.Length);
        return read;
    }

    public void Dispose()
    {
        View.Dispose();
        _file.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
