using System.Collections.Frozen;
using System.Globalization;

namespace Ingress.Gateway.Access;

/// <summary>
/// The users of an htpasswd file (<c>user:hash</c> per line), with bcrypt hashes only, as <c>htpasswd -B</c> writes them.
/// </summary>
/// <remarks>
/// MD5-apr1 (<c>$apr1$</c>), SHA-1 (<c>{SHA}</c>), crypt (<c>$1$</c>, <c>$5$</c>, <c>$6$</c>, DES) and plain text are refused:
/// they are fast to brute-force, or no hash at all. An error names the line, never its content (a line may hold a password).
/// Empty lines and lines starting with <c>#</c> are skipped.
/// </remarks>
internal sealed class HtpasswdFile
{
    private HtpasswdFile(FrozenDictionary<string, string> users) => Users = users;

    /// <summary>User name to bcrypt hash.</summary>
    public FrozenDictionary<string, string> Users { get; }

    /// <summary>Parses <paramref name="text"/>; returns the users, or null and the reason.</summary>
    public static HtpasswdFile? Parse(string text, out string? error)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = Line(number, "expected user:hash");
                return null;
            }

            var user = line[..colon];
            var hash = line[(colon + 1)..].Trim();
            if (HashProblem(hash) is { } problem)
            {
                error = Line(number, problem);
                return null;
            }

            if (!users.TryAdd(user, hash))
            {
                error = Line(number, "the user is listed twice");
                return null;
            }
        }

        if (users.Count == 0)
        {
            error = "no users";
            return null;
        }

        error = null;
        return new HtpasswdFile(users.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Why <paramref name="hash"/> is refused, or null for a well-formed bcrypt hash (<c>$2a$</c>, <c>$2b$</c>, <c>$2y$</c>, cost 4-31).</summary>
    private static string? HashProblem(string hash)
    {
        if (hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal) || hash.StartsWith("$2y$", StringComparison.Ordinal))
        {
            // $2b$10$ then 53 characters of bcrypt's base64 (22 of salt, 31 of hash).
            return hash.Length == 60 && hash[6] == '$'
                && int.TryParse(hash.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var cost) && cost is >= 4 and <= 31
                && IsBcryptBase64(hash.AsSpan(7))
                ? null
                : "a malformed bcrypt hash (expected $2y$NN$ and 53 characters, as htpasswd -B writes)";
        }

        var kind = hash switch
        {
            _ when hash.StartsWith("$apr1$", StringComparison.Ordinal) => "an MD5 (apr1) hash",
            _ when hash.StartsWith("{SHA}", StringComparison.Ordinal) => "a SHA-1 hash",
            _ when hash.StartsWith("$1$", StringComparison.Ordinal) || hash.StartsWith("$5$", StringComparison.Ordinal)
                || hash.StartsWith("$6$", StringComparison.Ordinal) => "a crypt hash",
            { Length: 13 } when IsCryptDes(hash) => "a DES crypt hash",
            _ when hash.StartsWith('$') => "an unknown hash",
            _ => "not a hash (plain text?)",
        };
        return $"{kind} is not accepted: only bcrypt ($2y$, from htpasswd -B)";
    }

    private static bool IsBcryptBase64(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsCryptDes(string hash) => IsBcryptBase64(hash);

    private static string Line(int number, string reason) => $"line {number.ToString(CultureInfo.InvariantCulture)}: {reason}";
}
