using Outrigger.Core;
using Outrigger.Core.Configuration;
using Outrigger.Discovery;
using Outrigger.Proxy.Resilience;

namespace Outrigger.Proxy.Configuration;

/// <summary>Reads one cluster (an <c>upstream.services</c> or <c>proxy.clusters</c> entry).</summary>
internal static class ClusterReader
{
    private static readonly string[] Algorithms = ["round_robin", "least_connections", "weighted_round_robin", "consistent_hash", "maglev", "peak_ewma", "random"];

    /// <summary>Cluster defaults taken from the top-level <c>load_balancing</c> and <c>server</c> sections.</summary>
    internal sealed record Defaults(LoadBalancingOptions LoadBalancing, TimeSpan ConnectTimeout, TimeSpan RequestTimeout)
    {
        public Resilience.CircuitBreakerOptions Breaker { get; init; } = Resilience.CircuitBreakerOptions.Default;

        public Resilience.RetryOptions Retry { get; init; } = Resilience.RetryOptions.Default;
    }

    public static Defaults ReadDefaults(ConfigReader root, ConfigReader server)
    {
        var fallback = new LoadBalancingOptions(LoadBalancingAlgorithm.RoundRobin, HashKeySource.ClientIp, "", StickySessions: false, "outrigger-affinity", TimeSpan.FromSeconds(10));
        var lb = ReadLoadBalancing(root.Section("load_balancing", "Spec 002 load balancing defaults for every cluster (a cluster's own load_balancing overrides them)."), fallback);
        var connect = TimeSpan.FromMilliseconds(server.Long("connection_timeout_ms", 5_000, "Default upstream connect timeout of every cluster (spec 002).", 1));
        var request = TimeSpan.FromMilliseconds(server.Long("request_timeout_ms", 30_000, "Default time every cluster waits for upstream response headers (spec 002); 0 disables.", 0));

        return new Defaults(lb, connect, request)
        {
            Breaker = ResilienceReader.ReadBreaker(root.Section("circuit_breaker", "Spec 002 circuit breaker: defaults for every cluster (a cluster's own circuit_breaker overrides them)."), CircuitBreakerOptions.Default),
            Retry = ResilienceReader.ReadRetry(root.Section("retry", "Retry policy: defaults for every cluster and route (a cluster's or route's own retry overrides them)."), RetryOptions.Default),
        };
    }

    public static ClusterOptions Read(ConfigReader cluster, string name, Defaults defaults, bool implicitRoute)
    {
        var endpoints = cluster.List("endpoints", "Static endpoints.", ReadEndpoint);
        var dns = ReadDns(cluster.Section("discovery", "Dynamic discovery instead of static endpoints."));
        if (dns is not null && endpoints.Count > 0)
        {
            cluster.Error("discovery", "use either endpoints or discovery, not both");
        }

        var protocol = cluster.Choice("protocol", "http1", "HTTP version spoken to the upstream (http2 without TLS is prior-knowledge h2c; gRPC needs http2).", "http1", "http2") == "http2"
            ? UpstreamProtocol.Http2
            : UpstreamProtocol.Http1;
        var tlsSection = cluster.Section("tls", "TLS to the upstream.");
        var pinning = Tls.UpstreamTlsReader.Read(tlsSection);
        UpstreamTlsOptions? tls = null;
        if (tlsSection.Bool("enabled", false, "Connect with TLS (https)."))
        {
            tls = new UpstreamTlsOptions(
                tlsSection.Bool("insecure_skip_verify", false, "Accept any server certificate (testing only)."),
                tlsSection.OptionalString("server_name", "SNI and certificate name to expect; defaults to the endpoint's host.")) { Pinning = pinning };
        }
        else
        {
            tlsSection.Bool("insecure_skip_verify", false, "Accept any server certificate (testing only).");
            tlsSection.OptionalString("server_name", "SNI and certificate name to expect; defaults to the endpoint's host.");
        }

        var pool = new ConnectionPoolOptions(
            Ms(cluster.Long("connect_timeout_ms", (long)defaults.ConnectTimeout.TotalMilliseconds, "Upstream TCP (and TLS) connect timeout; failure answers 502.", 1)),
            cluster.Int("max_connections_per_endpoint", 0, "Connections kept per endpoint; 0 = unlimited. Extra HTTP/2 connections open when streams run out.", 0),
            Ms(cluster.Long("idle_timeout_ms", 90_000, "Pooled upstream connections idle this long are closed.", 1)),
            Ms(cluster.Long("expect_100_continue_timeout_ms", 1_000, "With Expect: 100-continue, how long to wait for the upstream's 100 before sending the body anyway.", 0)));
        var requestTimeout = Ms(cluster.Long("request_timeout_ms", (long)defaults.RequestTimeout.TotalMilliseconds, "Time to wait for response headers before answering 504; 0 disables. Streaming bodies are not limited.", 0));
        var lb = ReadLoadBalancing(cluster.Section("load_balancing", "Overrides the top-level load_balancing for this cluster."), defaults.LoadBalancing);
        var health = ReadHealthCheck(cluster.Section("health_check", "Active health checks."));
        var outliers = ReadOutlierDetection(cluster.Section("outlier_detection", "Passive health: eject endpoints that keep failing real requests."));
        if (endpoints.Count == 0 && dns is null && cluster.IsPresent)
        {
            cluster.Error("", $"cluster '{name}' has no endpoints (set endpoints or discovery)");
        }

        return new ClusterOptions(name, endpoints, dns, protocol, tls, pool, requestTimeout, lb, health, outliers, implicitRoute)
        {
            Breaker = ResilienceReader.ReadBreaker(cluster.Section("circuit_breaker", "This cluster's circuit breaker; unset keys come from the top-level circuit_breaker."), defaults.Breaker),
            Retry = ResilienceReader.ReadRetry(cluster.Section("retry", "Retries to this cluster; unset keys come from the top-level retry."), defaults.Retry),
        };
    }

    private static DiscoveredEndpoint ReadEndpoint(ConfigReader endpoint)
    {
        var address = endpoint.String("address", "127.0.0.1", "Host name or IP address.");
        var port = endpoint.Port("port", 8080, "TCP port.");
        if (Uri.CheckHostName(address) == UriHostNameType.Unknown)
        {
            endpoint.Error("address", $"'{address}' is not a valid host name or IP address");
        }

        var weight = endpoint.Int("weight", 1, "Relative share of traffic for weighted_round_robin, maglev and consistent_hash.", 1, 1_000_000);
        var metadataSection = endpoint.Section("metadata", "Free-form labels shown by /clusters.");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in metadataSection.PresentKeys)
        {
            metadata[key] = metadataSection.OptionalString(key, "") ?? "";
        }

        return new DiscoveredEndpoint(address, port, weight, metadata);
    }

    private static DnsDiscoveryOptions? ReadDns(ConfigReader discovery)
    {
        var type = discovery.Choice("type", "static", "static: the endpoints list. dns: A/AAAA records of name, re-resolved when their TTL expires.", "static", "dns");
        var host = discovery.OptionalString("name", "DNS name to resolve (type dns).");
        var port = discovery.Port("port", 80, "Port of every resolved address (type dns).");
        var weight = discovery.Int("weight", 1, "Weight of every resolved address (type dns).", 1, 1_000_000);
        var min = Ms(discovery.Long("min_refresh_ms", 1_000, "Re-resolve no more often than this, whatever the TTL.", 100));
        var max = Ms(discovery.Long("max_refresh_ms", 300_000, "Re-resolve at least this often, whatever the TTL.", 100));
        var server = discovery.OptionalString("server", "DNS server ip:port; default: the nameservers (and search domains) of /etc/resolv.conf. Names in /etc/hosts use the system resolver.");
        if (type != "dns")
        {
            return null;
        }

        if (string.IsNullOrEmpty(host) || Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            discovery.Error("name", "type dns needs a DNS name");
            return null;
        }

        if (server is not null && !(HostPort.TryParse(server, out var serverHost, out _, out _) && System.Net.IPAddress.TryParse(serverHost, out _)))
        {
            discovery.Error("server", $"'{server}' is not an IP address and port (e.g. 10.96.0.10:53)");
        }

        if (max < min)
        {
            discovery.Error("max_refresh_ms", "must be at least min_refresh_ms");
        }

        return new DnsDiscoveryOptions(host, port, weight, min, max, server);
    }

    private static LoadBalancingOptions ReadLoadBalancing(ConfigReader lb, LoadBalancingOptions defaults)
    {
        var algorithm = lb.Choice("algorithm", Name(defaults.Algorithm), "How an endpoint is picked.", Algorithms) switch
        {
            "least_connections" => LoadBalancingAlgorithm.LeastConnections,
            "weighted_round_robin" => LoadBalancingAlgorithm.WeightedRoundRobin,
            "consistent_hash" => LoadBalancingAlgorithm.ConsistentHash,
            "maglev" => LoadBalancingAlgorithm.Maglev,
            "peak_ewma" => LoadBalancingAlgorithm.PeakEwma,
            "random" => LoadBalancingAlgorithm.Random,
            _ => LoadBalancingAlgorithm.RoundRobin,
        };
        var hashOn = lb.Choice("hash_on", defaults.HashOn switch { HashKeySource.Header => "header", HashKeySource.Cookie => "cookie", _ => "client_ip" },
            "Key for consistent_hash and maglev.", "client_ip", "header", "cookie") switch
        {
            "header" => HashKeySource.Header,
            "cookie" => HashKeySource.Cookie,
            _ => HashKeySource.ClientIp,
        };
        var hashKey = lb.String("hash_key", defaults.HashKey, "Header or cookie name when hash_on is header or cookie.");
        if (hashOn != HashKeySource.ClientIp && hashKey.Length == 0)
        {
            lb.Error("hash_key", $"hash_on {(hashOn == HashKeySource.Header ? "header" : "cookie")} needs hash_key (the {(hashOn == HashKeySource.Header ? "header" : "cookie")} name)");
        }

        var sticky = lb.Bool("sticky_sessions", defaults.StickySessions, "Session affinity: a client keeps its endpoint through a cookie (session_affinity_key) while that endpoint is available.");
        var cookie = lb.String("session_affinity_key", defaults.AffinityCookie, "Cookie name used for sticky_sessions.");
        var decay = Ms(lb.Long("ewma_decay_ms", (long)defaults.EwmaDecay.TotalMilliseconds, "peak_ewma: time constant of the latency average.", 1));
        return new LoadBalancingOptions(algorithm, hashOn, hashKey, sticky, cookie, decay);
    }

    private static string Name(LoadBalancingAlgorithm algorithm) => Algorithms[algorithm switch
    {
        LoadBalancingAlgorithm.LeastConnections => 1,
        LoadBalancingAlgorithm.WeightedRoundRobin => 2,
        LoadBalancingAlgorithm.ConsistentHash => 3,
        LoadBalancingAlgorithm.Maglev => 4,
        LoadBalancingAlgorithm.PeakEwma => 5,
        LoadBalancingAlgorithm.Random => 6,
        _ => 0,
    }];

    private static HealthCheckOptions ReadHealthCheck(ConfigReader health)
    {
        var enabled = health.Bool("enabled", false, "Probe every endpoint periodically.");
        var path = health.String("path", "/health", "Path probed with GET.");
        if (!path.StartsWith('/'))
        {
            health.Error("path", $"'{path}' must start with /");
        }

        var expected = health.String("expected_status", "200-399", "Status codes that count as healthy, as min-max.");
        var (min, max) = (200, 399);
        var dash = expected.IndexOf('-', StringComparison.Ordinal);
        if (!(dash > 0 && int.TryParse(expected.AsSpan(0, dash), out min) && int.TryParse(expected.AsSpan(dash + 1), out max) && min is >= 100 and <= 599 && max >= min && max <= 599))
        {
            health.Error("expected_status", $"'{expected}' is not a status range like 200-399");
            (min, max) = (200, 399);
        }

        return new HealthCheckOptions(
            enabled,
            path,
            Ms(health.Long("interval_ms", 10_000, "Time between probes of one endpoint.", 10)),
            Ms(health.Long("timeout_ms", 2_000, "A probe without an answer in this time fails.", 1)),
            Ms(health.Long("jitter_ms", 1_000, "Random extra delay (0..jitter) added to each interval, so endpoints are not probed in lockstep.", 0)),
            health.Int("healthy_threshold", 2, "Consecutive passing probes that bring an unhealthy endpoint back.", 1, 100),
            health.Int("unhealthy_threshold", 3, "Consecutive failing probes that take an endpoint out of rotation.", 1, 100),
            min,
            max);
    }

    private static OutlierDetectionOptions ReadOutlierDetection(ConfigReader outliers) => new(
        outliers.Bool("enabled", true, "Eject endpoints that fail consecutive requests."),
        outliers.Int("consecutive_5xx", 5, "Consecutive 5xx responses (including connect failures) that eject an endpoint.", 1),
        outliers.Int("consecutive_gateway_failures", 3, "Consecutive gateway failures (connect errors, resets, 502/503/504) that eject an endpoint.", 1),
        Ms(outliers.Long("base_ejection_time_ms", 30_000, "First ejection length; each repeat multiplies it (1x, 2x, 3x …).", 1)),
        Ms(outliers.Long("max_ejection_time_ms", 300_000, "Longest ejection.", 1)),
        outliers.Int("max_ejection_percent", 50, "At most this share of a cluster's endpoints is ejected at once (one endpoint can always be ejected when the cluster has two or more).", 0, 100));

    private static TimeSpan Ms(long milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
