using System.Collections.Immutable;
using System.Globalization;

namespace Ingress.Gateway.Schema;

/// <summary>
/// Who may reach a service's replicas (<c>ingress.auth.*</c>): basic auth against an htpasswd file, an external auth
/// service, or both (basic first). Applied by the YARP path; the relay hands such routes to it.
/// </summary>
/// <param name="Basic">Basic auth (<c>ingress.auth.basic.*</c>), or null.</param>
/// <param name="Forward">Forward auth (<c>ingress.auth.forward.*</c>), or null.</param>
public sealed record AccessPolicy(BasicAuthPolicy? Basic, ForwardAuthPolicy? Forward)
{
    /// <summary>The labels that stand for this policy, with canonical values; discovery writes them as route metadata.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToLabels()
    {
        if (Basic is { } basic)
        {
            yield return new(IngressLabels.AuthBasicUsersFile, basic.UsersFile);
            yield return new(IngressLabels.AuthBasicRealm, basic.Realm);
            yield return new(IngressLabels.AuthBasicRemoveHeader, basic.RemoveHeader ? "true" : "false");
            if (basic.HeaderField is { } field)
            {
                yield return new(IngressLabels.AuthBasicHeaderField, field);
            }
        }

        if (Forward is { } forward)
        {
            yield return new(IngressLabels.AuthForwardAddress, forward.Address.OriginalString);
            if (!forward.ResponseHeaders.IsEmpty)
            {
                yield return new(IngressLabels.AuthForwardResponseHeaders, string.Join(',', forward.ResponseHeaders));
            }

            if (!forward.RequestHeaders.IsDefault)
            {
                yield return new(IngressLabels.AuthForwardRequestHeaders, string.Join(',', forward.RequestHeaders));
            }

            yield return new(IngressLabels.AuthForwardTrustForwardHeader, forward.TrustForwardHeader ? "true" : "false");
            yield return new(IngressLabels.AuthForwardTimeout, forward.Timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms");
        }
    }
}

/// <summary>Basic auth (RFC 7617) against the bcrypt hashes of an htpasswd file. Traefik's <c>basicAuth</c>.</summary>
/// <param name="UsersFile">Absolute path of the htpasswd file, normally a swarm secret (<c>/run/secrets/...</c>).</param>
/// <param name="Realm">The realm of the <c>WWW-Authenticate</c> challenge.</param>
/// <param name="RemoveHeader">True: the <c>Authorization</c> header is removed before the request reaches the replica.</param>
/// <param name="HeaderField">A request header set to the authenticated user name (replacing the client's), or null.</param>
public sealed record BasicAuthPolicy(string UsersFile, string Realm, bool RemoveHeader, string? HeaderField)
{
    /// <summary>The realm when <c>ingress.auth.basic.realm</c> is not set.</summary>
    public const string DefaultRealm = "ingress";
}

/// <summary>
/// Forward auth: an auth service is asked first; 2xx lets the request through, anything else is the answer. Traefik's
/// <c>forwardAuth</c>.
/// </summary>
/// <param name="Address">The auth service's absolute <c>http</c>/<c>https</c> URL.</param>
/// <param name="ResponseHeaders">Headers of the auth service's 2xx answer copied onto the request (a client's own are removed).</param>
/// <param name="RequestHeaders">The only request headers sent to the auth service; default (not set): all but hop-by-hop ones.</param>
/// <param name="TrustForwardHeader">True: a client's <c>X-Forwarded-*</c> headers are passed on to the auth service; false: replaced by the gateway's.</param>
/// <param name="Timeout">How long the auth service may take to answer (headers).</param>
public sealed record ForwardAuthPolicy(Uri Address, ImmutableArray<string> ResponseHeaders, ImmutableArray<string> RequestHeaders, bool TrustForwardHeader, TimeSpan Timeout)
{
    /// <summary>The timeout when <c>ingress.auth.forward.timeout</c> is not set.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public bool Equals(ForwardAuthPolicy? other) =>
        other is not null && Address == other.Address && TrustForwardHeader == other.TrustForwardHeader && Timeout == other.Timeout
        && ResponseHeaders.SequenceEqual(other.ResponseHeaders)
        && RequestHeaders.IsDefault == other.RequestHeaders.IsDefault && (RequestHeaders.IsDefault || RequestHeaders.SequenceEqual(other.RequestHeaders));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Address, TrustForwardHeader, Timeout, ResponseHeaders.Length);
}
