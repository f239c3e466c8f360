using System.Collections.Immutable;

namespace Ingress.Gateway.Routing;

/// <summary>The recent discovery events (tasks added or removed, reloads, skipped services, outages) for the dashboard.</summary>
internal sealed class DiscoveryEventLog(TimeProvider time)
{
    /// <summary>How many events are kept.</summary>
    public const int Capacity = 200;

    private readonly Lock _gate = new();
    private readonly Queue<DiscoveryEvent> _events = new();
    private long _sequence;

    public void Add(string kind, string? service, string message)
    {
        lock (_gate)
        {
            _events.Enqueue(new DiscoveryEvent(++_sequence, time.GetUtcNow(), kind, service, message));
            while (_events.Count > Capacity)
            {
                _events.Dequeue();
            }
        }
    }

    /// <summary>The kept events, newest first.</summary>
    public ImmutableArray<DiscoveryEvent> Recent()
    {
        lock (_gate)
        {
            return [.. _events.Reverse()];
        }
    }

    /// <summary>Records what changed between two route tables: services and tasks that came and went.</summary>
    public void AddChanges(RouteTable before, RouteTable after)
    {
        var previous = before.Services.ToDictionary(s => s.Service.Name, StringComparer.Ordinal);
        foreach (var state in after.Services)
        {
            var name = state.Service.Name;
            if (!previous.Remove(name, out var old))
            {
                Add("service-added", name, $"{name} discovered ({state.Status.ToString().ToLowerInvariant()}) with {state.Service.Tasks.Length} tasks");
                continue;
            }

            if (old.Status != state.Status)
            {
                Add("service-" + state.Status.ToString().ToLowerInvariant(), name,
                    state.Errors.IsEmpty ? $"{name} is now {state.Status.ToString().ToLowerInvariant()}" : $"{name} skipped: {string.Join("; ", state.Errors)}");
            }

            if (ReferenceEquals(old.Service, state.Service) || SameTaskIds(old.Service.Tasks, state.Service.Tasks))
            {
                continue;
            }

            var oldTasks = old.Service.Tasks.ToDictionary(t => t.Id, StringComparer.Ordinal);
            foreach (var task in state.Service.Tasks)
            {
                if (!oldTasks.Remove(task.Id))
                {
                    Add("task-added", name, $"task {Short(task.Id)} ({task.Address}) added to {name}");
                }
            }

            foreach (var gone in oldTasks.Values)
            {
                Add("task-removed", name, $"task {Short(gone.Id)} ({gone.Address}) removed from {name}");
            }
        }

        foreach (var gone in previous.Keys)
        {
            Add("service-removed", gone, $"{gone} is gone");
        }
    }

    // The common case by far (one service of many changed, sources list tasks in a stable order), without a dictionary.
    private static bool SameTaskIds(ImmutableArray<Discovery.SwarmTask> before, ImmutableArray<Discovery.SwarmTask> after)
    {
        if (before.Length != after.Length)
        {
            return false;
        }

        for (var i = 0; i < before.Length; i++)
        {
            if (!string.Equals(before[i].Id, after[i].Id, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}

/// <summary>One discovery event.</summary>
/// <param name="Sequence">Increasing number, so a poller can ask only for newer events.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Kind">e.g. <c>task-added</c>, <c>config-reload</c>, <c>source-failing</c>.</param>
/// <param name="Service">The service concerned, if any.</param>
/// <param name="Message">A sentence for people.</param>
public sealed record DiscoveryEvent(long Sequence, DateTimeOffset Time, string Kind, string? Service, string Message);
