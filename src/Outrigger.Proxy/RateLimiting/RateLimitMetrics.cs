using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.RateLimiting;

/// <summary><c>proxy_rate_limited_total{route,limiter}</c> and the number of keys each limiter holds.</summary>
internal static class RateLimitMetrics
{
    private static readonly ConcurrentDictionary<RequestRateLimiter, bool> Live = new();

    public static readonly Counter<long> Limited = ProxyMetrics.Meter.CreateCounter<long>("proxy_rate_limited_total", description: "Requests answered 429 by a rate limit (limiter: global or the route's name).");

    public static readonly ObservableGauge<int> Keys = ProxyMetrics.Meter.CreateObservableGauge("proxy_rate_limit_keys", Observe, description: "Token buckets a rate limiter holds in memory.");

    public static void Track(RequestRateLimiter limiter) => Live[limiter] = true;

    public static void Untrack(RequestRateLimiter limiter) => Live.TryRemove(limiter, out _);

    private static IEnumerable<Measurement<int>> Observe()
    {
        foreach (var limiter in Live.Keys)
        {
            yield return new Measurement<int>(limiter.Keys, new KeyValuePair<string, object?>("limiter", limiter.Name));
        }
    }
}
