using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Ingress.Gateway.Access;

/// <summary>
/// Credentials that bcrypt has already verified against one version of a users file, so that a client sending them again
/// costs a keyed hash rather than a bcrypt (tens of milliseconds by design).
/// </summary>
/// <remarks>
/// The key is HMAC-SHA256 of the decoded <c>user:password</c> under a random key of this instance, truncated to 128 bits:
/// no password, nor an unkeyed hash of one, is kept in memory. Only successes are kept. Bounded to <see cref="Capacity"/>
/// entries: when full it is emptied, and the next requests pay bcrypt again. A new version of the file gets a new cache, so
/// a changed or removed password never passes on an old entry.
/// </remarks>
internal sealed class VerifiedCredentials
{
    /// <summary>The most credentials remembered per users file.</summary>
    public const int Capacity = 1024;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<UInt128, byte> _verified = new();

    /// <summary>The number of credentials remembered.</summary>
    public int Count => _verified.Count;

    /// <summary>True when <paramref name="credentials"/> (the decoded <c>user:password</c>) were verified before.</summary>
    public bool Contains(ReadOnlySpan<byte> credentials) => _verified.ContainsKey(KeyOf(credentials));

    /// <summary>Remembers <paramref name="credentials"/> as verified.</summary>
    public void Add(ReadOnlySpan<byte> credentials)
    {
        if (_verified.Count >= Capacity)
        {
            _verified.Clear();
        }

        _verified.TryAdd(KeyOf(credentials), 0);
    }

    private UInt128 KeyOf(ReadOnlySpan<byte> credentials)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, credentials, mac);
        return new UInt128(BitConverter.ToUInt64(mac), BitConverter.ToUInt64(mac[8..]));
    }
}
