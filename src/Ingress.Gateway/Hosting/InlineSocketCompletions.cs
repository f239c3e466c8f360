namespace Ingress.Gateway.Hosting;

/// <summary>
/// Makes the runtime complete socket operations on its event threads rather than queueing each completion to the
/// thread pool. On a small machine shared with the replicas, every hand-off between threads is a wake-up and a context
/// switch, and those cost more than the forwarding itself.
/// </summary>
/// <remarks>
/// The runtime reads <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> once, when the first socket is created, and
/// has no runtimeconfig switch for it; so the gateway sets it for itself before it opens any socket. An explicit value
/// in the environment (<c>0</c> to turn it off) always wins.
/// </remarks>
internal static class InlineSocketCompletions
{
    internal const string VariableName = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline completions on unless the environment already decides. Call before the first socket exists.</summary>
    public static void EnableUnlessConfigured()
    {
        if (Environment.GetEnvironmentVariable(VariableName) is null)
        {
            Environment.SetEnvironmentVariable(VariableName, "1");
        }
    }
}
