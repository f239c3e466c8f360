using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Resilience;

/// <summary>Whether a replica is in rotation: in its cluster's available destinations after health checks.</summary>
internal static class DestinationRotation
{
    public static bool IsInRotation(ClusterState cluster, DestinationState destination)
    {
        var available = cluster.DestinationsState.AvailableDestinations;
        for (var i = 0; i < available.Count; i++)
        {
            if (ReferenceEquals(available[i], destination))
            {
                return true;
            }
        }

        return false;
    }
}
