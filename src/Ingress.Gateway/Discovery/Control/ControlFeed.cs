using System.Security.Cryptography;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// A manager gateway's side of the control channel: it passes whatever the discovery sources find on to the reconciler,
/// unchanged, and keeps the latest listing of the source that followers follow (the Docker API) as a
/// <see cref="ControlDocument"/>, whose revision grows with every change. Followers' long polls wait on it.
/// </summary>
/// <remarks>
/// Unchanged services keep their instances before the listing goes on (<see cref="DiscoverySnapshot.ReuseUnchanged"/>),
/// so the reconciler's own comparison of the same listing costs reference checks only.
/// </remarks>
internal sealed class ControlFeed : IDiscoverySink
{
    private readonly IDiscoverySink _inner;
    private readonly ControlStatus? _status;
    private readonly string _followedSource;
    private readonly string _manager;
    private readonly Lock _gate = new();
    private DiscoverySnapshot? _snapshot;
    private string? _failure;
    private long _revision;
    private Encoded? _encoded;
    private TaskCompletionSource _changed = NewSignal();

    public ControlFeed(IDiscoverySink inner, string followedSource, ControlStatus? status = null, string? manager = null)
    {
        _inner = inner;
        _status = status;
        _followedSource = followedSource;
        _manager = manager ?? Environment.MachineName;
    }

    /// <summary>This process's epoch: a follower that saw another epoch takes the whole state again.</summary>
    public string Epoch { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The current revision; 0 until the followed source completed a listing.</summary>
    public long Revision
    {
        get { lock (_gate) { return _revision; } }
    }

    public void Publish(DiscoverySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _inner.Publish(Record(snapshot, failure: null));
    }

    public void PublishPartial(DiscoverySnapshot snapshot, string failure)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _inner.PublishPartial(Record(snapshot, failure), failure);
    }

    public void ReportFailure(string source, string reason)
    {
        if (source == _followedSource)
        {
            lock (_gate)
            {
                // A failing source keeps its last listing; followers learn that it is failing, once per distinct reason.
                if (_snapshot is not null && _failure != reason)
                {
                    _failure = reason;
                    Changed();
                }
            }
        }

        _inner.ReportFailure(source, reason);
    }

    /// <summary>
    /// Waits until the revision differs from <paramref name="revision"/> of <paramref name="epoch"/> (at once if it already
    /// does), or <paramref name="timeout"/> passes. Returns false on timeout.
    /// </summary>
    public async Task<bool> WaitForChangeAsync(string? epoch, long revision, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            if (_revision > 0 && (epoch != Epoch || revision != _revision))
            {
                return true;
            }

            changed = _changed.Task;
        }

        try
        {
            await changed.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The current document, compressed, or null before the followed source's first listing.</summary>
    public Encoded? Current()
    {
        lock (_gate)
        {
            if (_snapshot is null)
            {
                return null;
            }

            // Encoded once per revision, however many followers ask.
            if (_encoded?.Revision != _revision)
            {
                var document = ControlDocument.From(Epoch, _revision, _manager, _snapshot, _failure);
                _encoded = new Encoded(_revision, document.Encode());
            }

            return _encoded;
        }
    }

    private DiscoverySnapshot Record(DiscoverySnapshot snapshot, string? failure)
    {
        if (snapshot.Source != _followedSource)
        {
            return snapshot;
        }

        lock (_gate)
        {
            snapshot = snapshot.ReuseUnchanged(_snapshot);
            var changed = !snapshot.HasSameContent(_snapshot) || failure != _failure;
            _snapshot = snapshot;
            _failure = failure;
            if (changed)
            {
                Changed();
            }

            return snapshot;
        }
    }

    private void Changed()
    {
        _revision++;
        _status?.Published(_revision);
        var signal = _changed;
        _changed = NewSignal();
        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A revision's document, compressed.</summary>
    internal sealed record Encoded(long Revision, byte[] Bytes);
}
