using Ingress.Gateway.Access;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Access;

public sealed class UsersFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ingress-users-").FullName;
    private readonly FakeTimeProvider _time = new();

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Current_FileChanged_IsReadAgainOnceTheCheckIsDue_NotBefore()
    {
        var path = PathOf("users");
        File.WriteAllText(path, Htpasswd.BCryptLine("alice", "a"));
        var file = new UsersFile(path, _time, NullLogger.Instance);
        var first = file.Current;
        Assert.Equal(["alice"], first.Users!.Users.Keys.ToArray());

        File.WriteAllText(path, Htpasswd.BCryptLine("bob", "b"));
        _time.Advance(UsersFile.CheckInterval - TimeSpan.FromMilliseconds(1));
        Assert.Same(first, file.Current);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["bob"], file.Current.Users!.Users.Keys.ToArray());
    }

    [Fact]
    public void Current_FileUnchanged_KeepsTheVersion_AndItsVerifiedCredentials()
    {
        var path = PathOf("users");
        File.WriteAllText(path, Htpasswd.BCryptLine("alice", "a"));
        var file = new UsersFile(path, _time, NullLogger.Instance);
        var first = file.Current;

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        _time.Advance(UsersFile.CheckInterval);

        Assert.Same(first, file.Current);
    }

    [Fact]
    public void Current_MissingThenMalformedThenFixed_ErrorsUntilFixed()
    {
        var path = PathOf("users");
        var file = new UsersFile(path, _time, NullLogger.Instance);
        Assert.Null(file.Current.Users);
        Assert.Contains("does not exist", file.Current.Error, StringComparison.Ordinal);

        File.WriteAllText(path, "alice:plaintext\n");
        _time.Advance(UsersFile.CheckInterval);
        Assert.Null(file.Current.Users);
        Assert.StartsWith("line 1: not a hash", file.Current.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("plaintext", file.Current.Error, StringComparison.Ordinal);

        File.WriteAllText(path, Htpasswd.BCryptLine("alice", "a"));
        _time.Advance(UsersFile.CheckInterval);
        Assert.Null(file.Current.Error);
        Assert.Equal(["alice"], file.Current.Users!.Users.Keys.ToArray());
    }

    [Fact]
    public void VerifiedCredentials_AreKeyedByTheirHmac_AndBounded()
    {
        var cache = new VerifiedCredentials();
        cache.Add("alice:a"u8);

        Assert.True(cache.Contains("alice:a"u8));
        Assert.False(cache.Contains("alice:b"u8));
        Assert.False(new VerifiedCredentials().Contains("alice:a"u8));

        for (var i = 0; i < VerifiedCredentials.Capacity + 1; i++)
        {
            cache.Add(System.Text.Encoding.UTF8.GetBytes($"user{i}:x"));
        }

        Assert.InRange(cache.Count, 1, VerifiedCredentials.Capacity);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
