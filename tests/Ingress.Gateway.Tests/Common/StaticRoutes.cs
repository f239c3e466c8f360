namespace Ingress.Gateway.Tests.Common;

/// <summary>YARP's standard <c>ReverseProxy</c> settings, as a user would write them, for test backends.</summary>
internal static class StaticRoutes
{
    /// <summary>One catch-all route over <paramref name="backends"/>, optionally with a load-balancing policy.</summary>
    public static Dictionary<string, string?> CatchAll(IEnumerable<TestBackend> backends, string? policy = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:all:ClusterId"] = "backends",
            ["ReverseProxy:Routes:all:Match:Path"] = "{**catch-all}",
        };
        foreach (var backend in backends)
        {
            settings[$"ReverseProxy:Clusters:backends:Destinations:{backend.Name}:Address"] = backend.Address;
        }

        if (policy is not null)
        {
            settings["ReverseProxy:Clusters:backends:LoadBalancingPolicy"] = policy;
        }

        return settings;
    }

    /// <summary>One catch-all route over destinations at <paramref name="addresses"/> (named d0, d1, ...).</summary>
    public static Dictionary<string, string?> CatchAll(params string[] addresses)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:all:ClusterId"] = "backends",
            ["ReverseProxy:Routes:all:Match:Path"] = "{**catch-all}",
        };
        for (var i = 0; i < addresses.Length; i++)
        {
            settings[$"ReverseProxy:Clusters:backends:Destinations:d{i}:Address"] = addresses[i];
        }

        return settings;
    }
}
