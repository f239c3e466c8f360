namespace Ingress.Gateway.Configuration;

/// <summary>What the gateway gives back to the system once it has started (<c>Ingress:Memory</c>).</summary>
/// <remarks>
/// Default: both on. See <see cref="Hosting.StartupMemoryRelease"/> for what is released and why it is safe.
/// </remarks>
public sealed class MemoryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Memory";

    /// <summary>
    /// Once, shortly after start, collect the start-up garbage with a compacting GC that returns its free memory, and
    /// unmap the executable's read-only pages that only starting touched (Linux).
    /// </summary>
    /// <remarks>
    /// Default: true. The pages stay in the kernel's page cache, so a page the gateway needs again comes back on first
    /// touch without a disk read; the resident set after that is what the gateway really uses.
    /// </remarks>
    public bool ReleaseAfterStart { get; set; } = true;
}
