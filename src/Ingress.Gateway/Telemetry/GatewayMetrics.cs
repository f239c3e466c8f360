using Prometheus;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// The gateway's Prometheus metrics, in a registry owned by this gateway instance (so several gateways in one
/// test process never share counters). Names follow Traefik's where one exists, with the <c>ingress_</c> prefix.
/// </summary>
internal sealed class GatewayMetrics
{
    public GatewayMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);

        // No exemplars: the gateway records no traces, and looking for one (Activity.Current) on every increment is
        // work on the request path for nothing.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();

        ConfigReloads = factory.CreateCounter(
            "ingress_config_reloads_total", "Proxy configurations published to YARP from discovery.");
        ConfigLastReloadSuccess = factory.CreateGauge(
            "ingress_config_last_reload_success_timestamp_seconds", "Unix time of the last published proxy configuration.");
        DiscoveryErrors = factory.CreateCounter(
            "ingress_discovery_errors_total", "Failed discovery listings, by source.", ["source"]);
        DiscoverySourceUp = factory.CreateGauge(
            "ingress_discovery_source_up", "1 while a discovery source's last listing succeeded, 0 during an outage.", ["source"]);
        DiscoveredTasks = factory.CreateGauge(
            "ingress_discovered_tasks", "Running tasks per discovered service, including services that are invalid or disabled.", ["service"]);
        InvalidServices = factory.CreateGauge(
            "ingress_invalid_services", "Labelled services skipped because of invalid labels or route clashes.");
        Retries = factory.CreateCounter(
            "ingress_retries_total", "Requests retried on another replica, by service.", ["service"]);
        RetriesRefused = factory.CreateCounter(
            "ingress_retries_refused_total", "Retriable failures passed to the client because the retry budget was spent.", ["service"]);
        NoHealthyReplica = factory.CreateCounter(
            "ingress_no_healthy_replica_total", "Requests answered 503 because no replica of the service was healthy.", ["service"]);
        OpenConnections = factory.CreateGauge(
            "ingress_open_connections", "Open client connections, by entry port.", ["entrypoint"]);
        RefusedConnections = factory.CreateCounter(
            "ingress_refused_connections_total", "Client connections refused at the connection cap, by entry port.", ["entrypoint"]);
        Requests = factory.CreateCounter(
            "ingress_requests_total", "Proxied requests, by entry port, service, method and status code.", ["entrypoint", "service", "method", "code"]);
        RequestDuration = factory.CreateHistogram(
            "ingress_request_duration_seconds", "Time from receiving a request to the end of its response, by entry port and service.", ["entrypoint", "service"],
            new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        BackendRequests = factory.CreateCounter(
            "ingress_backend_requests_total", "Requests answered by each replica, by service and destination (task ID).", ["service", "destination"]);
        BackendUp = factory.CreateGauge(
            "ingress_backend_up", "1 while a replica is in rotation, 0 while health checks keep it out.", ["service", "destination"]);
        RelayHandoffs = factory.CreateCounter(
            "ingress_relay_handoffs_total", "Client connections the relay handed to Kestrel and the YARP pipeline, by entry port and reason (upgrade, route, malformed, ...).", ["entrypoint", "reason"]);
        AccessLogDropped = factory.CreateCounter(
            "ingress_access_log_dropped_total", "Access log lines dropped because the writer fell behind.");
        ControlFollowing = factory.CreateGauge(
            "ingress_control_following", "A follower gateway: 1 while a manager gateway answers on the control channel, 0 while none does (the last known state stays in force).");
        ControlLastHeard = factory.CreateGauge(
            "ingress_control_last_heard_timestamp_seconds", "A follower gateway: Unix time a manager gateway last answered; time() minus this is the age of the state it routes by.");
        ControlUpdates = factory.CreateCounter(
            "ingress_control_updates_total", "A follower gateway: changed states received from manager gateways.");
        ControlFollowers = factory.CreateGauge(
            "ingress_control_followers", "A manager gateway: followers waiting on it now.");
        ControlRefused = factory.CreateCounter(
            "ingress_control_refused_total", "Control-channel requests or answers refused, by reason: network (not from the control network), unauthorized (not signed with the token), clock (signed too long ago), unverifiable (an answer not sealed with the token).", ["reason"]);
        TlsCertificates = factory.CreateGauge(
            "ingress_tls_certificates", "Certificates loaded from the certificate folder and served on the TLS entry ports.");
        TlsCertificateErrors = factory.CreateGauge(
            "ingress_tls_certificate_errors", "Files in the certificate folder that are not served: unreadable, expired, not yet valid, or with a key that does not match (the log and /api/state name each file and the reason).");
        TlsReloads = factory.CreateCounter(
            "ingress_tls_reloads_total", "Times the certificate folder changed (or a certificate expired) and the certificates were loaded again.");
        AcmeOrders = factory.CreateCounter(
            "ingress_acme_orders_total", "ACME certificate orders (first issue or renewal) by result: issued or failed (the log and /api/state give the certificate authority's reason).", ["result"]);
        AcmeCertificatesFailing = factory.CreateGauge(
            "ingress_acme_certificates_failing", "Certificates asked for by ingress.tls.acme whose last order failed and that wait for their next attempt.");
        InvalidLabels = factory.CreateCounter(
            "ingress_invalid_labels_total", "Times a service was found with invalid labels (counted once per distinct error).", ["service"]);

        // Traffic policies that refuse requests (ingress.ipallowlist, ingress.ratelimit.*, ingress.auth.*): requests the gateway answered itself.
        PolicyRejections = factory.CreateCounter(
            "ingress_policy_rejections_total",
            "Requests a route's policy answered itself instead of forwarding, by service, policy (ipallowlist, ratelimit, basic, forward) and reason (forbidden, limited, unauthorized, users_file, denied, unreachable, timeout, client_aborted).",
            ["service", "policy", "reason"]);
    }

    /// <summary>The registry served on the admin port's <c>/metrics</c>.</summary>
    public CollectorRegistry Registry { get; }

    public Counter ConfigReloads { get; }

    public Gauge TlsCertificates { get; }

    public Gauge TlsCertificateErrors { get; }

    public Counter TlsReloads { get; }

    public Counter AcmeOrders { get; }

    public Gauge AcmeCertificatesFailing { get; }

    public Gauge ConfigLastReloadSuccess { get; }

    public Counter DiscoveryErrors { get; }

    public Gauge DiscoverySourceUp { get; }

    public Gauge DiscoveredTasks { get; }

    public Gauge InvalidServices { get; }

    public Counter InvalidLabels { get; }

    public Gauge ControlFollowing { get; }

    public Gauge ControlLastHeard { get; }

    public Counter ControlUpdates { get; }

    public Gauge ControlFollowers { get; }

    public Counter ControlRefused { get; }

    public Counter Requests { get; }

    public Histogram RequestDuration { get; }

    public Counter BackendRequests { get; }

    public Gauge BackendUp { get; }

    public Counter AccessLogDropped { get; }

    public Counter RelayHandoffs { get; }

    public Gauge OpenConnections { get; }

    public Counter RefusedConnections { get; }

    public Counter Retries { get; }

    public Counter RetriesRefused { get; }

    public Counter NoHealthyReplica { get; }

    /// <summary><c>ingress_policy_rejections_total{service,policy,reason}</c>: requests refused by an allow-list, a rate limit, basic or forward auth.</summary>
    public Counter PolicyRejections { get; }
}
