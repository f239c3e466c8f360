using Ingress.Gateway.Transport;

namespace Ingress.Gateway.Tests.Transport;

/// <summary>
/// The relay's buffers, checked against the kernel's page tables. Run alone: a buffer unmapped here could otherwise be
/// mapped again at once by another test's gateway, and look as if it had never been handed back.
/// </summary>
[Collection(Name)]
public sealed unsafe class BufferPoolTests
{
    public const string Name = "Memory mappings";

    [Fact]
    public void Rent_Fresh_IsAWholeWritablePageAlignedMapping()
    {
        using var pool = new BufferPool();

        var buffer = pool.Rent();

        Assert.Equal(0, (nint)buffer % Environment.SystemPageSize);
        Assert.True(MappedPages.AreMapped(buffer, BufferPool.BufferSize));
        var span = new Span<byte>(buffer, BufferPool.BufferSize);
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (byte)(i % 251);
        }

        for (var i = 0; i < span.Length; i++)
        {
            Assert.Equal((byte)(i % 251), span[i]);
        }

        pool.Return(buffer);
    }

    [Fact]
    public void Rent_AfterAReturn_ReusesTheReturnedBuffer()
    {
        using var pool = new BufferPool();
        var first = pool.Rent();
        first[0] = 42;

        pool.Return(first);
        var second = pool.Rent();

        Assert.Equal((nint)first, (nint)second);
        Assert.Equal(42, second[0]);
        pool.Return(second);
    }

    [Fact]
    public void Rent_WhileOthersAreRented_GivesBuffersThatDoNotOverlap()
    {
        using var pool = new BufferPool();

        var buffers = Enumerable.Range(0, 8).Select(_ => (nint)pool.Rent()).Order().ToArray();

        for (var i = 1; i < buffers.Length; i++)
        {
            Assert.True(buffers[i] - buffers[i - 1] >= BufferPool.BufferSize, "two rented buffers overlap");
        }

        foreach (var buffer in buffers)
        {
            pool.Return((byte*)buffer);
        }
    }

    [Fact]
    public void Return_AfterABurst_KeepsAFewBuffersAndUnmapsTheRest()
    {
        using var pool = new BufferPool();
        var burst = Enumerable.Range(0, 200).Select(_ => (nint)pool.Rent()).ToArray();

        var kept = new HashSet<nint>();
        foreach (var buffer in burst)
        {
            pool.Return((byte*)buffer);
            // Asked at once: the kernel could hand an unmapped range to the next mmap.
            if (MappedPages.AreMapped((byte*)buffer, BufferPool.BufferSize))
            {
                kept.Add(buffer);
            }
        }

        Assert.InRange(kept.Count, 1, burst.Length / 2);
        Assert.All(Enumerable.Range(0, kept.Count).Select(_ => (nint)pool.Rent()).ToArray(), buffer => Assert.Contains(buffer, kept));
    }

    [Fact]
    public void Dispose_WithFreeBuffers_UnmapsThem()
    {
        var pool = new BufferPool();
        var buffers = Enumerable.Range(0, 4).Select(_ => (nint)pool.Rent()).ToArray();
        foreach (var buffer in buffers)
        {
            pool.Return((byte*)buffer);
        }

        pool.Dispose();

        Assert.All(buffers, buffer => Assert.False(MappedPages.AreMapped((byte*)buffer, BufferPool.BufferSize)));
    }
}

/// <summary>Tests that look at this process's memory mappings, run with no other test beside them.</summary>
[CollectionDefinition(BufferPoolTests.Name, DisableParallelization = true)]
public sealed class MemoryMappingsCollection
{
}
