using Ingress.Gateway.Routing.Snapshot;
namespace Ingress.Gateway.Relay;

/// <summary>
/// One event loop's idle keep-alive connections, by replica address. Keyed by address rather than by YARP destination,
/// so connections survive configuration changes that keep the replica. Most recently used first, so that under light
/// load few connections stay warm and the rest time out.
/// </summary>
/// <remarks>Not thread-safe: used only on its loop's thread.</remarks>
internal sealed class UpstreamPool
{
    /// <summary>How long an idle connection is kept (the default of .NET's <c>SocketsHttpHandler</c>, which YARP uses).</summary>
    public const long IdleTimeoutMs = 60_000;

    /// <summary>Idle connections kept per replica and loop; more are closed.</summary>
    public const int MaxIdlePerReplica = 1024;

    /// <summary>How often closed connections, and replicas left with none, are swept out of the pool.</summary>
    public const long SweepIntervalMs = 10_000;

    private readonly Dictionary<UpstreamKey, List<UpstreamConnection>> _idle = [];
    private long _nextSweep;

    /// <summary>The most recently used open idle connection to <paramref name="key"/>, if any.</summary>
    public UpstreamConnection? TryTake(UpstreamKey key)
    {
        if (!_idle.TryGetValue(key, out var list))
        {
            return null;
        }

        while (list.Count > 0)
        {
            var connection = list[^1];
            list.RemoveAt(list.Count - 1);
            if (connection.IsOpen)
            {
                return connection;
            }
        }

        return null;
    }

    /// <summary>Keeps <paramref name="connection"/> for reuse, or closes it when the pool is full.</summary>
    /// <remarks>The connection keeps its buffer for the next exchange; it returns it on its next tick if still idle.</remarks>
    public void Return(UpstreamConnection connection, long nowMs)
    {
        connection.Owner = null;
        if (nowMs >= _nextSweep)
        {
            _nextSweep = nowMs + SweepIntervalMs;
            Sweep();
        }
        if (!_idle.TryGetValue(connection.Key, out var list))
        {
            _idle[connection.Key] = list = [];
        }

        if (list.Count >= MaxIdlePerReplica)
        {
            // Closed ones (timed out, or closed by the replica) are removed first.
            list.RemoveAll(c => !c.IsOpen);
        }

        if (list.Count >= MaxIdlePerReplica)
        {
            connection.Close();
            return;
        }

        connection.IdleSince = nowMs;
        connection.Reused = true;
        list.Add(connection);
    }

    /// <summary>
    /// Drops the connections that closed while idle (timed out, or closed by their replica) and the replicas left with
    /// none: each redeploy brings new task addresses, and the old ones must not stay in the pool for good.
    /// </summary>
    private void Sweep()
    {
        List<UpstreamKey>? empty = null;
        foreach (var (key, list) in _idle)
        {
            list.RemoveAll(c => !c.IsOpen);
            if (list.Count == 0)
            {
                (empty ??= []).Add(key);
            }
        }

        foreach (var key in empty ?? [])
        {
            _idle.Remove(key);
        }
    }

    /// <summary>Closes every idle connection.</summary>
    public void Clear()
    {
        foreach (var list in _idle.Values)
        {
            foreach (var connection in list)
            {
                connection.Close();
            }
        }

        _idle.Clear();
    }
}
