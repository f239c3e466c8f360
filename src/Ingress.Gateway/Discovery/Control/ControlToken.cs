using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// The shared secret of the control channel and the two things it keys: a follower's request is signed (HMAC-SHA256,
/// with a time and a fresh nonce), and a manager gateway's answer is sealed (AES-256-GCM, bound to that nonce). Without
/// the token nobody can ask for the state, read it, forge it or replay an old one to a follower.
/// </summary>
/// <remarks>Both keys are derived from the token with HKDF-SHA256; the token itself never leaves this class.</remarks>
internal sealed class ControlToken
{
    /// <summary>The shortest token accepted: 32 characters, e.g. the base64 of 24 random bytes or more.</summary>
    public const int MinimumLength = 32;

    /// <summary>The authorization scheme of a signed request.</summary>
    public const string Scheme = "IngressControl";

    private const byte SealVersion = 1;
    private const int NonceBytes = 16;
    private const int IvBytes = 12;
    private const int TagBytes = 16;
    private const int SealOverhead = 1 + IvBytes + TagBytes;

    private readonly byte[] _signingKey;
    private readonly byte[] _sealingKey;

    private ControlToken(byte[] secret)
    {
        _signingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "ingress-control/1 request"u8.ToArray());
        _sealingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "ingress-control/1 state"u8.ToArray());
    }

    /// <summary>A token from its text; surrounding white space (a trailing newline in a secret file) is not part of it.</summary>
    public static ControlToken FromSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var trimmed = secret.Trim();
        if (trimmed.Length < MinimumLength)
        {
            throw new ArgumentException($"the control token must be at least {MinimumLength} characters long.", nameof(secret));
        }

        return new ControlToken(Encoding.UTF8.GetBytes(trimmed));
    }

    /// <summary>Reads the token file; the error says what to do when it cannot be used.</summary>
    public static ControlToken? TryLoad(string path, out string? error)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read the control token file {path}: {ex.Message} Create the swarm secret (scripts/up.sh does: " +
                "head -c 32 /dev/urandom | base64 | docker secret create ingress-control-token -) and give it to every gateway.";
            return null;
        }

        if (text.Trim().Length < MinimumLength)
        {
            error = $"the control token in {path} is shorter than {MinimumLength} characters.";
            return null;
        }

        error = null;
        return FromSecret(text);
    }

    /// <summary>A fresh random nonce, base64url.</summary>
    public static string NewNonce() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(NonceBytes));

    /// <summary>The <c>Authorization</c> value for a request to <paramref name="pathAndQuery"/> at <paramref name="time"/>.</summary>
    public string Authorize(string pathAndQuery, DateTimeOffset time, string nonce)
    {
        var stamp = time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return $"{Scheme} t={stamp},n={nonce},s={Base64Url.EncodeToString(Signature(pathAndQuery, stamp, nonce))}";
    }

    /// <summary>
    /// Checks a request's <c>Authorization</c> value: the signature, and a time within <paramref name="skew"/> of
    /// <paramref name="now"/>. A request replayed within that window gains nothing: its answer is sealed to its nonce.
    /// </summary>
    public ControlAuthResult Verify(string? authorization, string pathAndQuery, DateTimeOffset now, TimeSpan skew, out string nonce)
    {
        nonce = "";
        if (authorization is null || !authorization.StartsWith(Scheme + " ", StringComparison.Ordinal))
        {
            return ControlAuthResult.Missing;
        }

        string? stamp = null, signature = null;
        foreach (var part in authorization.AsSpan(Scheme.Length + 1).ToString().Split(','))
        {
            switch (part.Trim())
            {
                case ['t', '=', .. var t]: stamp = t; break;
                case ['n', '=', .. var n]: nonce = n; break;
                case ['s', '=', .. var s]: signature = s; break;
            }
        }

        if (stamp is null || signature is null || nonce.Length == 0 || nonce.Length > 64
            || !long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var millis))
        {
            return ControlAuthResult.Malformed;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Base64Url.IsValid(signature) || !Base64Url.TryDecodeFromChars(signature, given, out var length) || length != given.Length
            || !CryptographicOperations.FixedTimeEquals(given, Signature(pathAndQuery, stamp, nonce)))
        {
            return ControlAuthResult.BadSignature;
        }

        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(millis);
        return age.Duration() <= skew ? ControlAuthResult.Valid : ControlAuthResult.Stale;
    }

    /// <summary>Encrypts and authenticates <paramref name="plaintext"/> for the request that carried <paramref name="nonce"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string nonce)
    {
        var sealedBytes = new byte[SealOverhead + plaintext.Length];
        sealedBytes[0] = SealVersion;
        var iv = sealedBytes.AsSpan(1, IvBytes);
        RandomNumberGenerator.Fill(iv);
        using var aes = new AesGcm(_sealingKey, TagBytes);
        aes.Encrypt(iv, plaintext, sealedBytes.AsSpan(SealOverhead), sealedBytes.AsSpan(1 + IvBytes, TagBytes), AssociatedData(nonce));
        return sealedBytes;
    }

    /// <summary>Decrypts what <see cref="Seal"/> made for <paramref name="nonce"/>; null when it was not made with this token for that nonce, or was altered.</summary>
    public byte[]? TryOpen(ReadOnlySpan<byte> sealedBytes, string nonce)
    {
        if (sealedBytes.Length < SealOverhead || sealedBytes[0] != SealVersion)
        {
            return null;
        }

        var plaintext = new byte[sealedBytes.Length - SealOverhead];
        using var aes = new AesGcm(_sealingKey, TagBytes);
        try
        {
            aes.Decrypt(sealedBytes.Slice(1, IvBytes), sealedBytes[SealOverhead..], sealedBytes.Slice(1 + IvBytes, TagBytes), plaintext, AssociatedData(nonce));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private byte[] Signature(string pathAndQuery, string stamp, string nonce) =>
        HMACSHA256.HashData(_signingKey, Encoding.UTF8.GetBytes($"GET\n{pathAndQuery}\n{stamp}\n{nonce}"));

    private static byte[] AssociatedData(string nonce) => Encoding.UTF8.GetBytes("ingress-control/1 state\n" + nonce);
}

/// <summary>The outcome of checking a control request's signature.</summary>
internal enum ControlAuthResult
{
    /// <summary>Signed with the token, recently.</summary>
    Valid,

    /// <summary>No <c>IngressControl</c> authorization at all.</summary>
    Missing,

    /// <summary>An authorization that does not parse.</summary>
    Malformed,

    /// <summary>Not signed with this token (or the request was altered).</summary>
    BadSignature,

    /// <summary>Signed, but its time is too far from this gateway's clock.</summary>
    Stale,
}
