using System.Buffers;
using System.Text;

namespace Ingress.Gateway.Http1;

/// <summary>The character classes of HTTP/1.1 (RFC 9110, RFC 9112) the parsers validate against, as vectorised sets.</summary>
internal static class HttpSyntax
{
    /// <summary><c>tchar</c>: the characters of a token (methods and header names).</summary>
    public static readonly SearchValues<byte> TokenChars = SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>
    /// The characters the relay accepts in a request path without help: unreserved, sub-delims, ':', '@' and '/'. A
    /// path with anything else (notably '%', which ASP.NET Core decodes before routing) is handed to Kestrel, so that
    /// routing and forwarding see exactly what the YARP pipeline would.
    /// </summary>
    public static readonly SearchValues<byte> PlainPathChars = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"u8);

    /// <summary>Bytes a query string may not contain: controls, space, DEL, '#' and anything not ASCII.</summary>
    public static readonly SearchValues<byte> InvalidQueryChars = SearchValues.Create(BuildInvalidQueryChars());

    /// <summary>Bytes a header value may not contain: controls other than HTAB, DEL, and anything not ASCII.</summary>
    public static readonly SearchValues<byte> InvalidValueChars = SearchValues.Create(BuildInvalidValueChars());

    /// <summary>
    /// Bytes a replica's status line and header values may not contain: controls other than HTAB, and DEL. Unlike
    /// requests, responses may carry obs-text (bytes over 0x7F), which HttpClient accepts too.
    /// </summary>
    public static readonly SearchValues<byte> InvalidResponseChars = SearchValues.Create(BuildInvalidResponseChars());

    /// <summary>The characters of a Host header: a DNS name or IPv4 address with an optional port, or a bracketed IPv6 literal.</summary>
    public static readonly SearchValues<byte> HostChars = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:[]"u8);

    private static byte[] BuildInvalidQueryChars()
    {
        var bytes = new List<byte>();
        for (var b = 0; b < 256; b++)
        {
            if (b <= 0x20 || b >= 0x7F || b == '#')
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }

    private static byte[] BuildInvalidResponseChars()
    {
        var bytes = new List<byte>();
        for (var b = 0; b < 0x20; b++)
        {
            if (b != '\t')
            {
                bytes.Add((byte)b);
            }
        }

        bytes.Add(0x7F);
        return [.. bytes];
    }

    private static byte[] BuildInvalidValueChars()
    {
        var bytes = new List<byte>();
        for (var b = 0; b < 256; b++)
        {
            if ((b < 0x20 && b != '\t') || b >= 0x7F)
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }

    /// <summary>Trims spaces and tabs (optional whitespace) from both ends.</summary>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length && value[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        var end = value.Length;
        while (end > start && value[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return value[start..end];
    }

    /// <summary>Parses a Content-Length value: 1-18 decimal digits. Returns -1 for anything else.</summary>
    public static long ParseContentLength(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > 18)
        {
            return -1;
        }

        long result = 0;
        foreach (var b in value)
        {
            var digit = b - '0';
            if ((uint)digit > 9)
            {
                return -1;
            }

            result = result * 10 + digit;
        }

        return result;
    }

    /// <summary>True when the comma-separated list <paramref name="value"/> has the token <paramref name="token"/> (ignoring case).</summary>
    public static bool ListContains(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        while (!value.IsEmpty)
        {
            var comma = value.IndexOf((byte)',');
            var item = TrimWhitespace(comma < 0 ? value : value[..comma]);
            if (Ascii.EqualsIgnoreCase(item, token))
            {
                return true;
            }

            if (comma < 0)
            {
                break;
            }

            value = value[(comma + 1)..];
        }

        return false;
    }

    /// <summary>True when the last item of the comma-separated list <paramref name="value"/> is <paramref name="token"/>.</summary>
    public static bool ListEndsWith(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        var comma = value.LastIndexOf((byte)',');
        return Ascii.EqualsIgnoreCase(TrimWhitespace(comma < 0 ? value : value[(comma + 1)..]), token);
    }
}
