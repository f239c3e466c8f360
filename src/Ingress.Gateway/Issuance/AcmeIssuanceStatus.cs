using System.Collections.Immutable;

namespace Ingress.Gateway.Issuance;

/// <summary>What ACME issuance is doing, for <c>/api/state</c> and the dashboard. Holds no key.</summary>
/// <param name="Directory">The certificate authority's directory URL.</param>
/// <param name="Storage">The folder the account key and the certificates are kept in.</param>
/// <param name="Role">This gateway's part: <c>standalone</c> (it issues), <c>manager</c> (the one on the swarm's leader issues) or <c>follower</c> (it receives).</param>
/// <param name="Issuer">Whether this gateway orders the certificates now.</param>
/// <param name="ElectionError">Why this gateway could not tell whether it issues; null when it could.</param>
/// <param name="LastCheck">When the services' wishes were last looked at; null before the first time.</param>
/// <param name="Certificates">One entry per certificate asked for, by names.</param>
internal sealed record AcmeIssuanceStatus(
    string Directory,
    string Storage,
    string Role,
    bool Issuer,
    string? ElectionError,
    DateTimeOffset? LastCheck,
    ImmutableArray<AcmeCertificateStatus> Certificates)
{
    /// <summary>The status before the first check.</summary>
    public static AcmeIssuanceStatus Initial(string directory, string storage, string role) => new(directory, storage, role, false, null, null, []);
}

/// <summary>Where one certificate asked for by ACME stands.</summary>
/// <param name="Names">Its host names.</param>
/// <param name="Services">The services that asked for it.</param>
/// <param name="State">Pending (not issued yet), valid, renewing (due, the current one still served) or failing.</param>
/// <param name="File">The file it is kept and served from, once issued.</param>
/// <param name="NotAfter">When the certificate held expires.</param>
/// <param name="RenewAt">When it is renewed: two thirds into its lifetime.</param>
/// <param name="Failures">Failed orders in a row.</param>
/// <param name="LastError">Why the last order failed, as the certificate authority said it.</param>
/// <param name="NextAttempt">When a failing order is tried again.</param>
internal sealed record AcmeCertificateStatus(
    ImmutableArray<string> Names,
    ImmutableArray<string> Services,
    AcmeCertificateState State,
    string? File,
    DateTimeOffset? NotAfter,
    DateTimeOffset? RenewAt,
    int Failures,
    string? LastError,
    DateTimeOffset? NextAttempt);

/// <summary>The state of one certificate asked for by ACME.</summary>
internal enum AcmeCertificateState
{
    /// <summary>Not issued yet; the first order is on its way.</summary>
    Pending,

    /// <summary>Held and served, not due for renewal.</summary>
    Valid,

    /// <summary>Due for renewal; the certificate held is still served.</summary>
    Renewing,

    /// <summary>The last order failed; it is tried again at <see cref="AcmeCertificateStatus.NextAttempt"/>.</summary>
    Failing,
}
