namespace Ingress.LoadTests.Measurement;

/// <summary>Counters owned by one virtual user for one phase.</summary>
/// <remarks>
/// Only the owning user writes, one request at a time, so increments need no atomics and no
/// lock. The progress sampler reads <see cref="Responses"/> and <see cref="Failures"/> from
/// another thread; a value one request stale is fine for a progress line, and the final
/// totals are read after every user has finished.
/// </remarks>
internal sealed class WorkerStats(bool trackHostNames)
{
    private readonly long[] _errors = new long[4];
    private long _responses;
    private long _failures;

    public StatusCodeTally StatusCodes { get; } = new();

    public HostNameTally? HostNames { get; } = trackHostNames ? new HostNameTally() : null;

    public long Responses => Volatile.Read(ref _responses);

    /// <summary>Transport errors plus 5xx responses.</summary>
    public long Failures => Volatile.Read(ref _failures);

    public long ErrorsOf(TransportErrorKind kind) => _errors[(int)kind];

    public void RecordResponse(int statusCode)
    {
        StatusCodes.Count(statusCode);
        if (statusCode >= 500)
        {
            Volatile.Write(ref _failures, _failures + 1);
        }

        Volatile.Write(ref _responses, _responses + 1);
    }

    public void RecordError(TransportErrorKind kind)
    {
        _errors[(int)kind]++;
        Volatile.Write(ref _failures, _failures + 1);
    }
}
