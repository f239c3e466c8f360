using System.Collections.Concurrent;

namespace Ingress.Gateway.Access;

/// <summary>The users files the gateway's routes name, one <see cref="UsersFile"/> per path, shared by the routes that name it.</summary>
internal sealed class UsersFiles(TimeProvider time, ILogger<UsersFile> logger)
{
    private readonly ConcurrentDictionary<string, UsersFile> _files = new(StringComparer.Ordinal);

    /// <summary>The file at <paramref name="path"/>, read now if no route named it before.</summary>
    public UsersFile For(string path) => _files.GetOrAdd(path, p => new UsersFile(p, time, logger));

    /// <summary>What the admin state shows for the file at <paramref name="path"/>: its user count, or why it refuses every request. Never its content.</summary>
    public string Describe(string path)
    {
        var version = For(path).Current;
        return version.Error is { } error
            ? $"{path}: refusing every request (500): {error}"
            : $"{path}: {version.Users!.Users.Count} users, read {version.LoadedAt:u}";
    }
}
