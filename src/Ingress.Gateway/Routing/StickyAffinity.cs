using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.SessionAffinity;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Maps <c>ingress.sticky*</c> to YARP's session affinity on a cluster: the <c>HashCookie</c> policy, with
/// <c>Redistribute</c> on failure.
/// </summary>
/// <remarks>
/// <c>HashCookie</c>, not <c>Cookie</c>: the cookie holds a hash of the destination ID, which every gateway computes alike,
/// since destination IDs are Swarm task IDs (or, from the DNS source, task addresses) that every gateway discovers the same.
/// YARP's <c>Cookie</c> policy encrypts the ID with Data Protection keys of each gateway's own, so a client reaching another
/// node would lose its replica. <c>Redistribute</c>: a cookie naming a replica that left discovery or was ejected is not an
/// error; load balancing picks another, whose cookie the response carries.
/// </remarks>
internal static class StickyAffinity
{
    /// <summary>The cluster's session affinity for <paramref name="sticky"/>, or null when the service is not sticky.</summary>
    public static SessionAffinityConfig? For(StickySession? sticky) => sticky is null ? null : new SessionAffinityConfig
    {
        Enabled = true,
        Policy = SessionAffinityConstants.Policies.HashCookie,
        FailurePolicy = SessionAffinityConstants.FailurePolicies.Redistribute,
        AffinityKeyName = sticky.CookieName,
        Cookie = new SessionAffinityCookieConfig
        {
            Path = "/",
            HttpOnly = sticky.HttpOnly,
            SameSite = sticky.SameSite,
            SecurePolicy = sticky.Secure switch
            {
                true => CookieSecurePolicy.Always,
                false => CookieSecurePolicy.None,
                null => CookieSecurePolicy.SameAsRequest,
            },
            IsEssential = true,
        },
    };
}
