using Outrigger.Discovery;

namespace Outrigger.Proxy.Configuration;

/// <summary>A named group of upstream endpoints and how to reach and balance them.</summary>
internal sealed record ClusterOptions(
    string Name,
    IReadOnlyList<DiscoveredEndpoint> Endpoints,
    DnsDiscoveryOptions? Dns,
    UpstreamProtocol Protocol,
    UpstreamTlsOptions? Tls,
    ConnectionPoolOptions Pool,
    TimeSpan RequestTimeout,
    LoadBalancingOptions LoadBalancing,
    HealthCheckOptions HealthCheck,
    OutlierDetectionOptions OutlierDetection,
    bool ImplicitRoute)
{
    /// <summary>The cluster's circuit breaker (its own <c>circuit_breaker</c>, or the top-level one).</summary>
    public Resilience.CircuitBreakerOptions Breaker { get; init; } = Resilience.CircuitBreakerOptions.Default;

    /// <summary>Retries of the cluster's routes (its own <c>retry</c>, or the top-level one); a route may override it.</summary>
    public Resilience.RetryOptions Retry { get; init; } = Resilience.RetryOptions.Default;
}

internal enum UpstreamProtocol
{
    Http1,
    Http2,
}

/// <summary>DNS discovery: A/AAAA records of <see cref="Name"/>, re-resolved when their TTL expires.</summary>
internal sealed record DnsDiscoveryOptions(string Name, int Port, int Weight, TimeSpan MinRefresh, TimeSpan MaxRefresh, string? Server);

internal sealed record UpstreamTlsOptions(bool InsecureSkipVerify, string? ServerName)
{
    /// <summary>CA pinning and the client certificate for upstream mTLS.</summary>
    public Tls.UpstreamTlsPinning Pinning { get; init; } = Tls.UpstreamTlsPinning.None;
}

internal sealed record ConnectionPoolOptions(TimeSpan ConnectTimeout, int MaxConnectionsPerEndpoint, TimeSpan IdleTimeout, TimeSpan Expect100ContinueTimeout);

internal enum LoadBalancingAlgorithm
{
    RoundRobin,
    LeastConnections,
    WeightedRoundRobin,
    ConsistentHash,
    Maglev,
    PeakEwma,
    Random,
}

internal enum HashKeySource
{
    ClientIp,
    Header,
    Cookie,
}

/// <summary>
/// How a cluster picks an endpoint. For hashing algorithms the key comes from <see cref="HashOn"/>; with
/// <see cref="StickySessions"/> and a cookie key, a client without the cookie is given one so it keeps its endpoint.
/// </summary>
internal sealed record LoadBalancingOptions(
    LoadBalancingAlgorithm Algorithm,
    HashKeySource HashOn,
    string HashKey,
    bool StickySessions,
    string AffinityCookie,
    TimeSpan EwmaDecay);

internal sealed record HealthCheckOptions(
    bool Enabled,
    string Path,
    TimeSpan Interval,
    TimeSpan Timeout,
    TimeSpan Jitter,
    int HealthyThreshold,
    int UnhealthyThreshold,
    int ExpectedStatusMin,
    int ExpectedStatusMax);

/// <summary>Passive health: eject an endpoint after consecutive failures of real traffic.</summary>
internal sealed record OutlierDetectionOptions(
    bool Enabled,
    int Consecutive5xx,
    int ConsecutiveGatewayFailures,
    TimeSpan BaseEjectionTime,
    TimeSpan MaxEjectionTime,
    int MaxEjectionPercent);
