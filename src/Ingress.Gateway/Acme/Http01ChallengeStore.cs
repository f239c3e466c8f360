using System.Buffers;
using System.Collections.Concurrent;

namespace Ingress.Gateway.Acme;

/// <summary>
/// The HTTP-01 challenges in progress: token → key authorization. The issuer adds a token before it tells the
/// certificate authority to validate and removes it when the authorization is settled; whatever answers
/// <c>/.well-known/acme-challenge/</c> reads it.
/// </summary>
/// <remarks>Thread-safe, lock-free reads: the validation requests of several certificate authority sites arrive at once.</remarks>
internal sealed class Http01ChallengeStore
{
    /// <summary>The path under which HTTP-01 validation requests arrive (RFC 8555 §8.3).</summary>
    public const string PathPrefix = "/.well-known/acme-challenge/";

    /// <summary>The base64url alphabet, the only characters a token may have (RFC 8555 §8.3), so it is one path segment.</summary>
    private static readonly SearchValues<char> TokenCharacters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private readonly ConcurrentDictionary<string, string> _pending = new(StringComparer.Ordinal);

    private string? _accountThumbprint;

    /// <summary>
    /// The issuing gateway's account thumbprint, when another gateway issues (learnt over the control channel): a
    /// validation request for a token not published here is then answered <c>token.thumbprint</c>, which is what the
    /// key authorization of any of that account's challenges is (RFC 8555 §8.1, "stateless" HTTP-01). Null: only
    /// published tokens are answered.
    /// </summary>
    public string? AccountThumbprint
    {
        get => Volatile.Read(ref _accountThumbprint);
        set => Volatile.Write(ref _accountThumbprint, value);
    }

    /// <summary>The number of pending challenges.</summary>
    public int Count => _pending.Count;

    /// <summary>Publishes the key authorization of <paramref name="token"/>; a token has only base64url characters.</summary>
    public void Add(string token, string keyAuthorization)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(keyAuthorization);
        if (token.AsSpan().ContainsAnyExcept(TokenCharacters))
        {
            throw new ArgumentException($"'{token}' is not a base64url challenge token.", nameof(token));
        }

        _pending[token] = keyAuthorization;
    }

    /// <summary>Withdraws a token once its authorization is settled.</summary>
    public void Remove(string token) => _pending.TryRemove(token, out _);

    /// <summary>The key authorization of a pending token.</summary>
    public bool TryGet(string token, out string keyAuthorization) => _pending.TryGetValue(token, out keyAuthorization!);

    /// <summary>
    /// Whether <paramref name="path"/> is an HTTP-01 validation path, and if so the key authorization to answer with
    /// (null for an unknown token). One rule for every path that serves entry-port requests.
    /// </summary>
    public bool IsChallengePath(string? path, out string? keyAuthorization)
    {
        keyAuthorization = null;
        if (path is null || !path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var token = path[PathPrefix.Length..];
        if (token.Length > 0 && TryGet(token, out var found))
        {
            keyAuthorization = found;
        }
        else if (token.Length > 0 && AccountThumbprint is { } thumbprint && !token.AsSpan().ContainsAnyExcept(TokenCharacters))
        {
            keyAuthorization = token + "." + thumbprint;
        }

        return true;
    }
}
