namespace Ingress.Gateway.Configuration;

/// <summary>Listener settings of the gateway, bound from the <c>Ingress</c> configuration section.</summary>
/// <remarks>
/// Defaults: one public entry port, 8888 (the routing-mesh port of the classic hostname demo), and the
/// admin port 8080. The admin port is never served on an entry port and vice versa.
/// </remarks>
public sealed class GatewayOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress";

    /// <summary>Public entry ports. The first one is the default entry port for host and path rules.</summary>
    /// <remarks>Default: <c>[8888]</c>. Configure as a list: <c>Ingress:EntryPorts:0=8888</c>, <c>Ingress:EntryPorts:1=9000</c>.</remarks>
    public List<int> EntryPorts { get; set; } = [];

    /// <summary>The admin port serving <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> and <c>/api/state</c>.</summary>
    /// <remarks>Default: 8080.</remarks>
    public int AdminPort { get; set; } = 8080;

    /// <summary>The address the listeners bind to.</summary>
    /// <remarks>Default: <c>*</c>, every interface (IPv6 dual mode where available). Use <c>127.0.0.1</c> for local runs.</remarks>
    public string ListenAddress { get; set; } = "*";

    /// <summary>Serve the admin port to requests that arrive over a network where replicas live.</summary>
    /// <remarks>
    /// Default: <c>false</c>. A replica could otherwise read the discovered state (<c>/api/state</c>), the metrics and the
    /// dashboard; only <c>/healthz</c> is answered there. Operators use the published port, loopback or another network.
    /// </remarks>
    public bool AdminOnBackendNetworks { get; set; }

    /// <summary>The default entry port, used by <c>ingress.host</c>/<c>ingress.path</c> rules.</summary>
    public int DefaultEntryPort => EntryPorts.Count > 0 ? EntryPorts[0] : DefaultPublicPort;

    internal const int DefaultPublicPort = 8888;

    /// <summary>Applies the list default after binding: configuration binding appends to lists, so the default cannot be an initializer.</summary>
    internal void ApplyDefaults()
    {
        if (EntryPorts.Count == 0)
        {
            EntryPorts.Add(DefaultPublicPort);
        }
    }
}
