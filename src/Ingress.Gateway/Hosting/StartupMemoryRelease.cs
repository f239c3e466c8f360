namespace Ingress.Gateway.Hosting;

/// <summary>
/// Gives back, once, shortly after start, the memory that only starting needed (<c>Ingress:Memory:ReleaseAfterStart</c>).
/// </summary>
/// <remarks>
/// <para>
/// A Native AOT gateway reads about 10 MiB of its executable only while it starts (the compressed type data it rebuilds
/// into memory, metadata, start-up code), and those pages stay in its resident set although nothing reads them again.
/// The kernel would drop them first under memory pressure; this tells it now (<c>MADV_DONTNEED</c> over the
/// executable's clean file pages, <see cref="ProcessMappings"/>), so that the resident set shows what the gateway uses.
/// The page cache keeps them: a page needed again is mapped back on first touch, without a disk read. Then one
/// compacting garbage collection returns the start-up garbage (configuration binding, the first route table's
/// builders) and the free memory around it.
/// </para>
/// <para>
/// It runs <see cref="Delay"/> after the host starts its services, so that discovery's first pass and the first route table
/// are built first, and never again. A failure is logged and changes nothing else.
/// </para>
/// </remarks>
internal sealed partial class StartupMemoryRelease : IHostedService, IDisposable
{
    /// <summary>How long after start the release runs.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource<(long, long, long)> _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string? _executable;
    private ITimer? _timer;

    public StartupMemoryRelease(TimeProvider time, ILogger<StartupMemoryRelease> logger)
        : this(time, logger, Environment.ProcessPath)
    {
    }

    /// <summary>Releases the clean pages of <paramref name="executable"/>'s mappings rather than the process's own executable's.</summary>
    internal StartupMemoryRelease(TimeProvider time, ILogger<StartupMemoryRelease> logger, string? executable)
    {
        _time = time;
        _logger = logger;
        _executable = executable;
    }

    /// <summary>What the release gave back, once it has run: the KiB of file pages advised, and the resident KiB before and after.</summary>
    public Task<(long ReleasedKb, long ResidentBeforeKb, long ResidentAfterKb)> Released => _released.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = _time.CreateTimer(static state => ((StartupMemoryRelease)state!).Run(), this, Delay, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _released.TrySetCanceled();
    }

    private void Run()
    {
        try
        {
            var before = Environment.WorkingSet / 1024;
            var started = _time.GetTimestamp();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var collection = _time.GetElapsedTime(started);
            var released = OperatingSystem.IsLinux() && _executable is not null
                ? ProcessMappings.Release(ProcessMappings.Parse(File.ReadAllText("/proc/self/smaps")).Where(m => m.Path == _executable))
                : 0;
            var after = Environment.WorkingSet / 1024;
            LogReleased(collection.TotalMilliseconds, released / 1024.0, before / 1024.0, after / 1024.0);
            _released.TrySetResult((released, before, after));
        }
        catch (Exception ex)
        {
            // A timer callback that throws would end the process: nothing here may stop the gateway.
            LogFailed(ex);
            _released.TrySetException(ex);
        }
    }

    [LoggerMessage(801, LogLevel.Information, "Released the memory only starting needed: a full GC ({GcMilliseconds:F1} ms), then {ReleasedMiB:F1} MiB of the executable's start-up pages; resident {BeforeMiB:F1} -> {AfterMiB:F1} MiB.")]
    private partial void LogReleased(double gcMilliseconds, double releasedMiB, double beforeMiB, double afterMiB);

    [LoggerMessage(802, LogLevel.Warning, "Could not release the start-up memory; the gateway runs on unchanged.")]
    private partial void LogFailed(Exception exception);
}
