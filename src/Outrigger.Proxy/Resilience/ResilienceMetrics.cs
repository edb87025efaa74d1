using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Instruments of retries and circuit breakers: <c>proxy_circuit_breaker_state{cluster}</c> (spec 002; 0 closed, 1 open,
/// 2 half-open) and Envoy-style <c>upstream_rq_retry*</c> counters per cluster.
/// </summary>
internal static class ResilienceMetrics
{
    private static readonly ConcurrentDictionary<CircuitBreaker, bool> LiveBreakers = new();

    public static readonly ObservableGauge<int> BreakerState = ProxyMetrics.Meter.CreateObservableGauge(
        "proxy_circuit_breaker_state", ObserveBreakers, description: "Circuit breaker state per cluster: 0 closed, 1 open, 2 half-open.");

    public static readonly Counter<long> BreakerOpened = ProxyMetrics.Meter.CreateCounter<long>("proxy_circuit_breaker_opened_total", description: "Times a cluster's circuit breaker opened.");
    public static readonly Counter<long> BreakerRejected = ProxyMetrics.Meter.CreateCounter<long>("proxy_circuit_breaker_rejected_total", description: "Requests answered 503 at once because the cluster's circuit breaker was open.");
    public static readonly Counter<long> Retries = ProxyMetrics.Meter.CreateCounter<long>("upstream_rq_retry_total", description: "Retries of requests to a cluster (attempts after the first), by the reason of the failed attempt.");
    public static readonly Counter<long> RetrySuccess = ProxyMetrics.Meter.CreateCounter<long>("upstream_rq_retry_success_total", description: "Requests that succeeded after at least one retry.");
    public static readonly Counter<long> RetryOverflow = ProxyMetrics.Meter.CreateCounter<long>("upstream_rq_retry_overflow_total", description: "Retries not made because the cluster's retry budget was used up.");
    public static readonly Counter<long> RetryLimitExceeded = ProxyMetrics.Meter.CreateCounter<long>("upstream_rq_retry_limit_exceeded_total", description: "Requests still failing (retriably) after max_attempts.");
    public static readonly Counter<long> PerTryTimeouts = ProxyMetrics.Meter.CreateCounter<long>("upstream_rq_per_try_timeout_total", description: "Attempts that got no response headers within per_try_timeout_ms.");

    public static void Track(CircuitBreaker breaker) => LiveBreakers[breaker] = true;

    public static void Untrack(CircuitBreaker breaker) => LiveBreakers.TryRemove(breaker, out _);

    public static void Add(Counter<long> counter, string cluster) => counter.Add(1, ProxyMetrics.ClusterTag(cluster));

    public static void AddRetry(string cluster, string reason) => Retries.Add(1, new TagList { ProxyMetrics.ClusterTag(cluster), { "reason", reason } });

    private static IEnumerable<Measurement<int>> ObserveBreakers()
    {
        foreach (var breaker in LiveBreakers.Keys)
        {
            yield return new Measurement<int>((int)breaker.State, ProxyMetrics.ClusterTag(breaker.Cluster));
        }
    }
}
