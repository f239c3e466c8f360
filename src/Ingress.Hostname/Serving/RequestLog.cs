namespace Ingress.Hostname.Serving;

/// <summary>Prints the host name once per served request, as the Go service does, without making a request wait on stdout.</summary>
/// <remarks>
/// Every line is the same, so a request only counts itself (one interlocked increment, no lock, no allocation) and this
/// single background loop writes the pending lines in batches, at most one batch per <see cref="BatchInterval"/>.
/// A slow or blocked stdout therefore delays the log, never a response, and costs no memory beyond the counter.
/// The host stops Kestrel, which waits for in-flight requests, before it stops this service, so the final flush includes
/// every request that was served.
/// </remarks>
internal sealed partial class RequestLog(TextWriter output, string line, TimeProvider timeProvider, ILogger<RequestLog> logger)
    : BackgroundService
{
    /// <summary>The shortest time between two batches.</summary>
    /// <remarks>
    /// Under load, waking the writer for every request costs a thread-pool hop and a thread wake-up each, which showed as
    /// lost throughput on two cores; waiting this long after a batch lets the next one collect everything that came meanwhile.
    /// </remarks>
    internal static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(10);

    private readonly SemaphoreSlim _wakeUp = new(0);

    // Only the loop writes, except for the final flush in StopAsync, which can overlap the loop if the stop times out.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private long _pending;
    private bool _writeFailureLogged;

    /// <summary>Counts one served request; its line is written shortly after, by the background loop.</summary>
    public void Record()
    {
        // Only the 0 -> 1 transition wakes the writer: later increments are picked up by the batch it is about to write.
        if (Interlocked.Increment(ref _pending) == 1)
        {
            _wakeUp.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _wakeUp.WaitAsync(stoppingToken).ConfigureAwait(false);
                await WritePendingAsync().ConfigureAwait(false);
                await Task.Delay(BatchInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Flushed here rather than at the end of the loop: a loop stopped right after it started may never have run.
        await WritePendingAsync().ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _wakeUp.Dispose();
        _writing.Dispose();
        base.Dispose();
    }

    private async Task WritePendingAsync()
    {
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            var count = Interlocked.Exchange(ref _pending, 0);
            for (long i = 0; i < count; i++)
            {
                output.Write(line);
            }

            if (count > 0)
            {
                await output.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (IOException ex)
        {
            // A closed stdout must not take the service down: the Go service ignores print errors too. Say it once.
            if (!_writeFailureLogged)
            {
                _writeFailureLogged = true;
                Log.WriteFailed(logger, ex);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Writing the request log failed; lines will be dropped while the output stays broken.")]
        public static partial void WriteFailed(ILogger logger, Exception exception);
    }
}
