using System.Collections.Immutable;
using Ingress.Gateway.Http1;
using Microsoft.AspNetCore.Http;

namespace Ingress.Gateway.Schema;

/// <summary>
/// Sticky sessions by cookie (<c>ingress.sticky*</c>): a client's requests keep going to the replica that served its first
/// one, as YARP's <c>HashCookie</c> session affinity does, until that replica leaves or fails; then the client gets a new
/// cookie for the replica that served it instead.
/// </summary>
/// <param name="CookieName">The affinity cookie's name.</param>
/// <param name="Secure">The cookie is sent over HTTPS only (<c>Secure</c>); by default it follows the request's scheme.</param>
/// <param name="HttpOnly">Scripts cannot read the cookie (<c>HttpOnly</c>).</param>
/// <param name="SameSite">The cookie's <c>SameSite</c> attribute; <see cref="SameSiteMode.Unspecified"/> leaves it out.</param>
/// <remarks>Defaults: cookie <c>ingress_sticky</c>, <c>HttpOnly</c>, <c>SameSite=Lax</c>, <c>Secure</c> when the request came over TLS.</remarks>
public sealed record StickySession(string CookieName, bool? Secure, bool HttpOnly, SameSiteMode SameSite)
{
    /// <summary>The cookie name when <c>ingress.sticky.cookie</c> is not set.</summary>
    public const string DefaultCookieName = "ingress_sticky";

    private static readonly Dictionary<string, SameSiteMode> s_sameSite = new(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = SameSiteMode.None,
        ["lax"] = SameSiteMode.Lax,
        ["strict"] = SameSiteMode.Strict,
    };

    /// <summary>
    /// Parses the <c>ingress.sticky*</c> labels: null when <c>ingress.sticky</c> is not <c>true</c>; a cookie label without it
    /// is an error rather than ignored, as is <c>SameSite=None</c> without <c>Secure</c>, which browsers drop.
    /// </summary>
    internal static StickySession? Parse(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        var enabled = LabelParser.ParseFlag(labels, IngressLabels.Sticky, errors) == true;
        if (errors.Count > count)
        {
            return null;
        }

        var name = DefaultCookieName;
        if (labels.TryGetValue(IngressLabels.StickyCookie, out var nameValue))
        {
            name = nameValue.Trim();
            if (!IsCookieName(name))
            {
                errors.Add(new LabelError(IngressLabels.StickyCookie, nameValue, "expected a cookie name (RFC 6265 token: letters, digits and !#$%&'*+-.^_`|~)"));
            }
        }

        var secure = LabelParser.ParseFlag(labels, IngressLabels.StickySecure, errors);
        var httpOnly = LabelParser.ParseFlag(labels, IngressLabels.StickyHttpOnly, errors) ?? true;

        var sameSite = SameSiteMode.Lax;
        if (labels.TryGetValue(IngressLabels.StickySameSite, out var sameSiteValue))
        {
            if (!s_sameSite.TryGetValue(sameSiteValue.Trim(), out sameSite))
            {
                errors.Add(new LabelError(IngressLabels.StickySameSite, sameSiteValue, "expected none, lax or strict"));
            }
            else if (sameSite == SameSiteMode.None && secure != true)
            {
                errors.Add(new LabelError(IngressLabels.StickySameSite, sameSiteValue, $"SameSite=None needs {IngressLabels.StickySecure}=true: browsers drop such a cookie otherwise"));
            }
        }

        if (!enabled)
        {
            foreach (var key in (ReadOnlySpan<string>)[IngressLabels.StickyCookie, IngressLabels.StickySecure, IngressLabels.StickyHttpOnly, IngressLabels.StickySameSite])
            {
                if (labels.TryGetValue(key, out var value))
                {
                    errors.Add(new LabelError(key, value, $"needs {IngressLabels.Sticky}=true"));
                }
            }

            return null;
        }

        return errors.Count == count ? new StickySession(name, secure, httpOnly, sameSite) : null;
    }

    private static bool IsCookieName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAscii(c) || !HttpSyntax.TokenChars.Contains((byte)c))
            {
                return false;
            }
        }

        return true;
    }
}
