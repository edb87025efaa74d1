using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Outrigger.Proxy.Resilience;

/// <summary>Creates a cluster's breaker wired to logs and metrics, and describes it for <c>/clusters</c>.</summary>
internal static partial class BreakerEvents
{
    public static CircuitBreaker Create(string cluster, CircuitBreakerOptions options, TimeProvider time, ILogger logger)
    {
        var breaker = new CircuitBreaker(cluster, options, time);
        breaker.StateChanged += (b, state) => OnStateChanged(logger, b, state);
        ResilienceMetrics.Track(breaker);
        return breaker;
    }

    public static void Release(CircuitBreaker? breaker)
    {
        if (breaker is not null)
        {
            ResilienceMetrics.Untrack(breaker);
        }
    }

    public static JsonNode? ToJson(CircuitBreaker? breaker)
    {
        if (breaker is null)
        {
            return null;
        }

        var state = breaker.State;
        var options = breaker.Options;
        return new JsonObject
        {
            ["state"] = state switch { BreakerState.Open => "open", BreakerState.HalfOpen => "half_open", _ => "closed" },
            ["reason"] = state == BreakerState.Closed ? null : breaker.Reason,
            ["retry_after_seconds"] = Math.Round(breaker.RetryAfter.TotalSeconds, 3),
            ["failure_threshold"] = options.FailureThreshold,
            ["failure_ratio"] = options.FailureRatio,
            ["recovery_timeout_ms"] = options.RecoveryTimeout.TotalMilliseconds,
            ["half_open_max_calls"] = options.HalfOpenMaxCalls,
        };
    }

    private static void OnStateChanged(ILogger logger, CircuitBreaker breaker, BreakerState state)
    {
        switch (state)
        {
            case BreakerState.Open:
                ResilienceMetrics.Add(ResilienceMetrics.BreakerOpened, breaker.Cluster);
                Log.Opened(logger, breaker.Cluster, breaker.Reason ?? "", breaker.Options.RecoveryTimeout.TotalMilliseconds);
                break;
            case BreakerState.HalfOpen:
                Log.HalfOpen(logger, breaker.Cluster, breaker.Options.HalfOpenMaxCalls);
                break;
            default:
                Log.Closed(logger, breaker.Cluster);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Circuit breaker of cluster {Cluster} opened ({Reason}); requests are refused for {RecoveryMs} ms")]
        public static partial void Opened(ILogger logger, string cluster, string reason, double recoveryMs);

        [LoggerMessage(2, LogLevel.Information, "Circuit breaker of cluster {Cluster} half-open: letting {Probes} probe(s) through")]
        public static partial void HalfOpen(ILogger logger, string cluster, int probes);

        [LoggerMessage(3, LogLevel.Information, "Circuit breaker of cluster {Cluster} closed")]
        public static partial void Closed(ILogger logger, string cluster);
    }
}
