using System.Collections.Immutable;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// What a manager gateway sends its followers: its Docker source's complete listing (services, their <c>ingress.*</c>
/// labels, their routable tasks with address, node, container and state) and how that source is faring. The wire shape
/// is its own, versioned, and kept apart from the snapshot records, so that either can change without the other.
/// </summary>
/// <param name="Epoch">A random ID of the manager gateway's process: revisions are counted per epoch.</param>
/// <param name="Revision">Grows by one with every change of content or source state.</param>
/// <param name="Manager">The manager gateway's host name (its container ID), for the followers' status.</param>
/// <param name="TakenAt">When the listing was completed.</param>
/// <param name="SourceFailure">Why the manager's Docker source is failing, or null while it is up.</param>
/// <param name="Services">The services, sorted by name.</param>
internal sealed record ControlDocument(
    string Epoch,
    long Revision,
    string Manager,
    DateTimeOffset TakenAt,
    string? SourceFailure,
    IReadOnlyList<ControlService> Services)
{
    /// <summary>The document for a snapshot.</summary>
    public static ControlDocument From(string epoch, long revision, string manager, DiscoverySnapshot snapshot, string? sourceFailure)
    {
        var services = new ControlService[snapshot.Services.Length];
        for (var i = 0; i < services.Length; i++)
        {
            var service = snapshot.Services[i];
            var tasks = new ControlTask[service.Tasks.Length];
            for (var j = 0; j < tasks.Length; j++)
            {
                var task = service.Tasks[j];
                tasks[j] = new ControlTask(task.Id, task.Address, task.Slot, task.NodeId, task.ContainerId, task.State);
            }

            services[i] = new ControlService(service.Id, service.Name, service.Labels, service.CreatedAt, tasks);
        }

        return new ControlDocument(epoch, revision, manager, snapshot.TakenAt, sourceFailure, services);
    }

    /// <summary>The snapshot a follower publishes, under its own source name, as heard at <paramref name="heardAt"/>.</summary>
    public DiscoverySnapshot ToSnapshot(string source, DateTimeOffset heardAt)
    {
        var services = ImmutableArray.CreateBuilder<SwarmService>(Services.Count);
        foreach (var service in Services)
        {
            var tasks = ImmutableArray.CreateBuilder<SwarmTask>(service.Tasks.Count);
            foreach (var task in service.Tasks)
            {
                tasks.Add(new SwarmTask(task.Id, task.Address, task.Slot, task.NodeId, task.ContainerId, task.State));
            }

            services.Add(new SwarmService(
                service.Id,
                service.Name,
                service.Labels.ToImmutableSortedDictionary(StringComparer.Ordinal),
                tasks.MoveToImmutable(),
                service.CreatedAt,
                source));
        }

        return new DiscoverySnapshot(source, services.MoveToImmutable(), heardAt);
    }

    /// <summary>The document as compressed JSON: what gets sealed.</summary>
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var brotli = new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(brotli, this, ControlJsonContext.Default.ControlDocument);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads what <see cref="Encode"/> wrote; throws <see cref="InvalidDataException"/> or <see cref="JsonException"/> on anything else.</summary>
    public static ControlDocument Decode(byte[] encoded)
    {
        using var brotli = new BrotliStream(new MemoryStream(encoded), CompressionMode.Decompress);
        return JsonSerializer.Deserialize(brotli, ControlJsonContext.Default.ControlDocument)
            ?? throw new JsonException("the control document is empty.");
    }
}

/// <summary>A service in a <see cref="ControlDocument"/>.</summary>
internal sealed record ControlService(
    string Id,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ControlTask> Tasks);

/// <summary>A routable task in a <see cref="ControlDocument"/>.</summary>
internal sealed record ControlTask(string Id, string Address, int Slot, string? NodeId, string? ContainerId, string State);

/// <summary>Compile-time JSON metadata for the control channel (the gateway is published trimmed).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ControlDocument))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
