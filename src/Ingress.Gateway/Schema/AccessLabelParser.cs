using System.Collections.Immutable;

namespace Ingress.Gateway.Schema;

/// <summary>
/// Parses the access labels (<c>ingress.auth.basic.*</c>, <c>ingress.auth.forward.*</c>) of a service, or route metadata
/// written from them. Only the labels are checked here; the htpasswd file is read by the gateway that serves the route.
/// </summary>
public static class AccessLabelParser
{
    private const int MaxRealmLength = 128;

    /// <summary>Parses the access labels; null when there are none or they are invalid (<paramref name="errors"/>).</summary>
    public static AccessPolicy? Parse(IReadOnlyDictionary<string, string> labels, out ImmutableArray<LabelError> errors)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var found = ImmutableArray.CreateBuilder<LabelError>();
        var policy = Parse(labels, found);
        errors = found.ToImmutable();
        return errors.IsEmpty ? policy : null;
    }

    internal static AccessPolicy? Parse(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        var count = errors.Count;
        var basic = ParseBasic(labels, errors);
        var forward = ParseForward(labels, errors);
        return errors.Count == count && (basic is not null || forward is not null) ? new AccessPolicy(basic, forward) : null;
    }

    private static BasicAuthPolicy? ParseBasic(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.AuthBasicUsersFile, out var file))
        {
            RequireWith(labels, IngressLabels.AuthBasicUsersFile, errors, IngressLabels.AuthBasicRealm, IngressLabels.AuthBasicRemoveHeader, IngressLabels.AuthBasicHeaderField);
            return null;
        }

        var count = errors.Count;
        var path = file.Trim();
        if (path.Length < 2 || path[0] != '/' || path[^1] == '/' || path.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0)
        {
            errors.Add(new LabelError(IngressLabels.AuthBasicUsersFile, file, "expected the absolute path of an htpasswd file, such as /run/secrets/users (a swarm secret)"));
        }

        var realm = BasicAuthPolicy.DefaultRealm;
        if (labels.TryGetValue(IngressLabels.AuthBasicRealm, out var realmValue))
        {
            realm = realmValue.Trim();
            if (RealmProblem(realm) is { } problem)
            {
                errors.Add(new LabelError(IngressLabels.AuthBasicRealm, realmValue, problem));
            }
        }

        var remove = LabelParser.ParseFlag(labels, IngressLabels.AuthBasicRemoveHeader, errors) == true;
        string? field = null;
        if (labels.TryGetValue(IngressLabels.AuthBasicHeaderField, out var fieldValue))
        {
            field = fieldValue.Trim();
            if ((LabelParser.HeaderNameProblem(field, isRequest: true) ?? (field.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? "the user name cannot replace the Authorization header" : null)) is { } problem)
            {
                errors.Add(new LabelError(IngressLabels.AuthBasicHeaderField, fieldValue, problem));
            }
        }

        return errors.Count == count ? new BasicAuthPolicy(path, realm, remove, field) : null;
    }

    private static ForwardAuthPolicy? ParseForward(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.AuthForwardAddress, out var addressValue))
        {
            RequireWith(labels, IngressLabels.AuthForwardAddress, errors, IngressLabels.AuthForwardResponseHeaders, IngressLabels.AuthForwardRequestHeaders,
                IngressLabels.AuthForwardTrustForwardHeader, IngressLabels.AuthForwardTimeout);
            return null;
        }

        var count = errors.Count;
        if (!Uri.TryCreate(addressValue.Trim(), UriKind.Absolute, out var address)
            || address.Scheme is not ("http" or "https")
            || address.UserInfo.Length > 0
            || address.Fragment.Length > 0
            || address.Host.Length == 0)
        {
            errors.Add(new LabelError(IngressLabels.AuthForwardAddress, addressValue, "expected an absolute http or https URL without user info or fragment, such as http://auth:4181/verify"));
        }

        var response = ParseNames(labels, IngressLabels.AuthForwardResponseHeaders, isRequest: true, errors);
        var request = ParseNames(labels, IngressLabels.AuthForwardRequestHeaders, isRequest: false, errors);
        var trust = LabelParser.ParseFlag(labels, IngressLabels.AuthForwardTrustForwardHeader, errors) == true;
        var timeout = ForwardAuthPolicy.DefaultTimeout;
        if (labels.TryGetValue(IngressLabels.AuthForwardTimeout, out var timeoutValue)
            && (!LabelParser.TryParseDuration(timeoutValue, out timeout) || timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(1)))
        {
            errors.Add(new LabelError(IngressLabels.AuthForwardTimeout, timeoutValue, "expected a duration between 1ms and 1m, such as 500ms or 5s"));
        }

        return errors.Count == count ? new ForwardAuthPolicy(address!, response.IsDefault ? [] : response, request, trust, timeout) : null;
    }

    /// <summary>A comma list of header names; default (not empty) when the label is not set.</summary>
    private static ImmutableArray<string> ParseNames(IReadOnlyDictionary<string, string> labels, string key, bool isRequest, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(key, out var value))
        {
            return default;
        }

        var count = errors.Count;
        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var name in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (LabelParser.HeaderNameProblem(name, isRequest) is { } problem)
            {
                errors.Add(new LabelError(key, value, problem));
            }
            else if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }
        }

        if (names.Count == 0 && errors.Count == count)
        {
            errors.Add(new LabelError(key, value, "expected header names, comma-separated"));
        }

        return names.ToImmutable();
    }

    /// <summary>Why <paramref name="realm"/> cannot be a realm, or null: printable ASCII without quotes or backslashes, so it needs no escaping.</summary>
    private static string? RealmProblem(string realm)
    {
        if (realm.Length is 0 or > MaxRealmLength)
        {
            return $"expected 1 to {MaxRealmLength} characters";
        }

        foreach (var c in realm)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                return "expected printable ASCII without '\"' or '\\'";
            }
        }

        return null;
    }

    private static void RequireWith(IReadOnlyDictionary<string, string> labels, string required, ImmutableArray<LabelError>.Builder errors, params ReadOnlySpan<string> keys)
    {
        foreach (var key in keys)
        {
            if (labels.TryGetValue(key, out var value))
            {
                errors.Add(new LabelError(key, value, $"needs {required}"));
            }
        }
    }
}
