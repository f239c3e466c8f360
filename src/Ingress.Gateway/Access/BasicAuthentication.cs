using System.Buffers;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Ingress.Gateway.Schema;
using Microsoft.Net.Http.Headers;

namespace Ingress.Gateway.Access;

/// <summary>
/// Basic auth (RFC 7617) of one request against a <see cref="UsersFile"/>: the <c>Authorization: Basic</c> credentials,
/// verified by bcrypt once and then from <see cref="VerifiedCredentials"/>.
/// </summary>
/// <remarks>
/// Passed: <see cref="HttpContext.User"/> is the user, the <see cref="BasicAuthPolicy.HeaderField"/> header (if any) is set
/// to the user name, replacing a client's, and <c>Authorization</c> is removed when <see cref="BasicAuthPolicy.RemoveHeader"/>
/// says so (Traefik's default keeps it). Refused: <c>401</c> with <c>WWW-Authenticate: Basic realm="..."</c>. The users
/// file unusable: <c>500</c>, never a pass.
/// </remarks>
internal static class BasicAuthentication
{
    /// <summary>The longest credentials decoded; longer ones are refused unread.</summary>
    private const int MaxCredentialsLength = 4096;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static AccessOutcome Authenticate(HttpContext context, BasicAuthPolicy policy, UsersFile file)
    {
        var version = file.Current;
        if (version.Users is not { } users)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return AccessOutcome.UsersFileInvalid;
        }

        var header = context.Request.Headers.Authorization;
        if (header.Count != 1 || !AuthenticationHeaderValue.TryParse(header[0], out var value)
            || !value.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is not { Length: > 0 and <= MaxCredentialsLength } encoded)
        {
            return Challenge(context, policy);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(encoded.Length);
        try
        {
            if (!Convert.TryFromBase64String(encoded, buffer, out var length)
                || !Verify(buffer.AsSpan(0, length), users, version, out var user))
            {
                return Challenge(context, policy);
            }

            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], "Basic"));
            if (policy.HeaderField is { } field)
            {
                context.Request.Headers[field] = user;
            }

            if (policy.RemoveHeader)
            {
                context.Request.Headers.Remove(HeaderNames.Authorization);
            }

            return AccessOutcome.Passed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>True when <paramref name="credentials"/> (<c>user:password</c>, UTF-8) are a user of the file and its password.</summary>
    private static bool Verify(ReadOnlySpan<byte> credentials, HtpasswdFile users, UsersFileVersion version, out string user)
    {
        user = "";
        var colon = credentials.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        string password;
        try
        {
            user = s_strictUtf8.GetString(credentials[..colon]);
            password = s_strictUtf8.GetString(credentials[(colon + 1)..]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        if (version.Verified.Contains(credentials))
        {
            return users.Users.ContainsKey(user);
        }

        if (!users.Users.TryGetValue(user, out var hash))
        {
            BCrypt.Net.BCrypt.Verify(password, version.Decoy);
            return false;
        }

        if (!BCrypt.Net.BCrypt.Verify(password, hash))
        {
            return false;
        }

        version.Verified.Add(credentials);
        return true;
    }

    private static AccessOutcome Challenge(HttpContext context, BasicAuthPolicy policy)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{policy.Realm}\"";
        return AccessOutcome.Unauthorized;
    }
}
