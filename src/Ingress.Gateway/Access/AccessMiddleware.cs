using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Access;

/// <summary>
/// The step of the proxy pipeline that checks a route's access policy (<see cref="RouteAccess"/> on its endpoint): basic
/// auth, then forward auth. A refused request is answered here and never reaches a replica: no load balancing, no retry.
/// </summary>
/// <remarks>
/// Runs after the redirect (a request about to be redirected to HTTPS is not asked for credentials over cleartext) and
/// before response compression, retries and load balancing. Each refusal is counted in
/// <c>ingress_policy_rejections_total{service, policy, reason}</c>; those that are the gateway's or the auth service's fault
/// (users file, unreachable, timeout) are logged too.
/// </remarks>
internal sealed partial class AccessMiddleware(RequestDelegate next, ForwardAuthentication forward, GatewayMetrics metrics, ILogger<AccessMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteAccess>() is not { } access)
        {
            await next(context);
            return;
        }

        if (access.Policy.Basic is { } basic)
        {
            var outcome = BasicAuthentication.Authenticate(context, basic, access.UsersFile!);
            if (outcome != AccessOutcome.Passed)
            {
                Refused(access, "basic", outcome, basic.UsersFile);
                return;
            }
        }

        if (access.Policy.Forward is { } policy)
        {
            var outcome = await forward.AuthorizeAsync(context, policy);
            if (outcome != AccessOutcome.Passed)
            {
                Refused(access, "forward", outcome, policy.Address.GetLeftPart(UriPartial.Path));
                return;
            }
        }

        await next(context);
    }

    private void Refused(RouteAccess access, string policy, AccessOutcome outcome, string what)
    {
        var reason = outcome switch
        {
            AccessOutcome.Unauthorized => "unauthorized",
            AccessOutcome.UsersFileInvalid => "users_file",
            AccessOutcome.Denied => "denied",
            AccessOutcome.Unreachable => "unreachable",
            AccessOutcome.TimedOut => "timeout",
            _ => "client_aborted",
        };
        metrics.PolicyRejections.WithLabels(access.Service, policy, reason).Inc();
        switch (outcome)
        {
            case AccessOutcome.UsersFileInvalid:
                LogUsersFileInvalid(logger, access.Service, what);
                break;
            case AccessOutcome.Unreachable or AccessOutcome.TimedOut:
                LogAuthServiceFailed(logger, access.Service, what, reason);
                break;
        }
    }

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "Request to {Service} refused (500): its users file {Path} cannot be used (see its error, and /api/state)")]
    private static partial void LogUsersFileInvalid(ILogger logger, string service, string path);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Request to {Service} refused: the auth service {Address} failed ({Reason})")]
    private static partial void LogAuthServiceFailed(ILogger logger, string service, string address, string reason);
}
