using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Ingress.Gateway.Routing;

/// <summary>
/// Feeds the routes and clusters built from Swarm discovery to YARP, beside the static <c>ReverseProxy</c> section.
/// Each published config is an immutable snapshot whose change token fires when the next one replaces it.
/// </summary>
internal sealed class SwarmProxyConfigProvider : IProxyConfigProvider
{
    private volatile Snapshot _current = new(RouteTable.Empty, revision: 0);

    /// <summary>The route table behind the config YARP currently has.</summary>
    public RouteTable Current => _current.Table;

    /// <summary>How many configs have been published since start (the first one is 0).</summary>
    public long Revision => _current.Revision;

    public IProxyConfig GetConfig() => _current;

    /// <summary>Publishes <paramref name="table"/> to YARP and signals the previous snapshot.</summary>
    public void Update(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var next = new Snapshot(table, _current.Revision + 1);
        var previous = Interlocked.Exchange(ref _current, next);
        previous.SignalChange();
    }

    private sealed class Snapshot : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public Snapshot(RouteTable table, long revision)
        {
            Table = table;
            Revision = revision;
            RevisionId = "swarm-" + revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ChangeToken = new CancellationChangeToken(_changed.Token);
        }

        public RouteTable Table { get; }

        public long Revision { get; }

        public string RevisionId { get; }

        public IReadOnlyList<RouteConfig> Routes => Table.Routes;

        public IReadOnlyList<ClusterConfig> Clusters => Table.Clusters;

        public IChangeToken ChangeToken { get; }

        // The token is signalled once and the snapshot is then garbage; disposing the source could race a late
        // RegisterChangeCallback in YARP, so it is left to the finaliser-free GC like InMemoryConfigProvider does.
        internal void SignalChange() => _changed.Cancel();
    }
}
