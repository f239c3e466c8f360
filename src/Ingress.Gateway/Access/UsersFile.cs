using System.Security.Cryptography;
using System.Text;

namespace Ingress.Gateway.Access;

/// <summary>
/// One htpasswd file named by <c>ingress.auth.basic.usersfile</c>, read by this gateway and read again when its content
/// changes (a rotated secret, an edited bind mount), with no restart.
/// </summary>
/// <remarks>
/// The file is looked at, at most once per <see cref="CheckInterval"/>, by the request that finds the check due (the others
/// use the version they have); a small file read costs microseconds, so it is read whole and compared by SHA-256, which
/// catches a change that keeps the size and the time stamp. A file that is missing, unreadable or malformed becomes a
/// version with an <see cref="UsersFileVersion.Error"/>, which lets no request through (fail closed).
/// </remarks>
internal sealed partial class UsersFile
{
    /// <summary>How often, at most, the file is looked at again.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>Files larger than this are refused: an htpasswd file of thousands of users is far smaller.</summary>
    public const int MaxLength = 1 << 20;

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private UsersFileVersion _current;
    private long _nextCheck;
    private int _checking;

    public UsersFile(string path, TimeProvider time, ILogger logger)
    {
        Path = path;
        _time = time;
        _logger = logger;
        _current = Load(previous: null);
        _nextCheck = time.GetTimestamp() + Ticks(CheckInterval);
    }

    /// <summary>The file's absolute path.</summary>
    public string Path { get; }

    /// <summary>The current version of the file, read again first when the check is due.</summary>
    public UsersFileVersion Current
    {
        get
        {
            var now = _time.GetTimestamp();
            if (now >= Volatile.Read(ref _nextCheck) && Interlocked.Exchange(ref _checking, 1) == 0)
            {
                try
                {
                    Volatile.Write(ref _current, Load(Volatile.Read(ref _current)));
                    Volatile.Write(ref _nextCheck, now + Ticks(CheckInterval));
                }
                finally
                {
                    Volatile.Write(ref _checking, 0);
                }
            }

            return Volatile.Read(ref _current);
        }
    }

    private UsersFileVersion Load(UsersFileVersion? previous)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxLength)
            {
                return Changed(previous, null, $"larger than {MaxLength / 1024} KiB: not an htpasswd file");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Changed(previous, null, "the file does not exist (is the secret mounted into the gateway?)");
        }
        catch (UnauthorizedAccessException)
        {
            return Changed(previous, null, "the gateway may not read the file (the secret's uid or mode)");
        }
        catch (IOException ex)
        {
            return Changed(previous, null, $"the file cannot be read: {ex.GetType().Name}");
        }

        var digest = SHA256.HashData(bytes);
        if (previous?.Digest is { } known && known.AsSpan().SequenceEqual(digest))
        {
            return previous;
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Changed(previous, null, "not UTF-8 text");
        }

        var users = HtpasswdFile.Parse(text, out var error);
        var version = new UsersFileVersion(users, error, digest, _time.GetUtcNow());
        Log(previous, version);
        return version;
    }

    private UsersFileVersion Changed(UsersFileVersion? previous, HtpasswdFile? users, string error)
    {
        if (previous is { Error: { } known } && known == error)
        {
            return previous;
        }

        var version = new UsersFileVersion(users, error, null, _time.GetUtcNow());
        Log(previous, version);
        return version;
    }

    private void Log(UsersFileVersion? previous, UsersFileVersion version)
    {
        if (version.Error is { } error)
        {
            LogInvalid(_logger, Path, error);
        }
        else
        {
            LogLoaded(_logger, Path, version.Users!.Users.Count, previous is null ? "read" : "read again");
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Error, Message = "Users file {Path} refused, every request of its routes is refused until it is fixed: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Users file {Path} {How}: {Users} users")]
    private static partial void LogLoaded(ILogger logger, string path, int users, string how);
}

/// <summary>One version of a users file: its users, or why it cannot be used.</summary>
/// <param name="Users">The users, or null with an <paramref name="Error"/>.</param>
/// <param name="Error">Why the file cannot be used (never its content), or null.</param>
/// <param name="Digest">SHA-256 of the content, to see a change; null when it could not be read.</param>
/// <param name="LoadedAt">When this version was read.</param>
internal sealed record UsersFileVersion(HtpasswdFile? Users, string? Error, byte[]? Digest, DateTimeOffset LoadedAt)
{
    /// <summary>Credentials already verified against this version.</summary>
    public VerifiedCredentials Verified { get; } = new();

    /// <summary>
    /// A bcrypt hash of a random password at the cost of the file's first user, checked for an unknown user name so that
    /// its answer takes as long as a wrong password's (no user enumeration by timing). Made on first use.
    /// </summary>
    public string Decoy => LazyInitializer.EnsureInitialized(ref _decoy, () =>
        BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)), CostOfFirstUser()));

    private string? _decoy;

    private int CostOfFirstUser()
    {
        foreach (var hash in Users?.Users.Values ?? [])
        {
            return int.Parse(hash.AsSpan(4, 2), System.Globalization.CultureInfo.InvariantCulture);
        }

        return 10;
    }
}
