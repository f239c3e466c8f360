namespace Ingress.Hostname.Shutdown;

/// <summary>Whether the service is draining: told to stop, still serving, but reporting unhealthy so that traffic moves away.</summary>
internal sealed class DrainState
{
    private int _draining;

    /// <summary>True from the first SIGTERM until the process exits.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>Enters the draining state; true only for the first caller, so that a repeated signal can be told apart.</summary>
    public bool TryBeginDrain() => Interlocked.Exchange(ref _draining, 1) == 0;
}
