using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Access;

/// <summary>
/// Checks every route's access metadata when YARP loads its configuration, so that a static <c>ReverseProxy</c> route with
/// bad <c>ingress.auth.*</c> values stops the gateway at start-up, as a bad label skips its service. It adds no transform:
/// <see cref="AccessMiddleware"/> applies the policy.
/// </summary>
internal sealed class AccessRouteValidator : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        context.Route.Access(out var errors);
        foreach (var error in errors)
        {
            context.Errors.Add(new ArgumentException($"Route '{context.Route.RouteId}': metadata {error}"));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
    }
}
