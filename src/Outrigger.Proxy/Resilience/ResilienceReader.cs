using System.Globalization;
using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Reads <c>circuit_breaker</c> and <c>retry</c> sections. The same keys are read at the top level (defaults for every
/// cluster), in a cluster (defaults for its routes) and in a route; a level's unset keys take the level above's values,
/// and a section that is present switches the feature on unless it says <c>enabled: false</c>.
/// </summary>
internal static class ResilienceReader
{
    public static CircuitBreakerOptions ReadBreaker(ConfigReader section, CircuitBreakerOptions parent)
    {
        var enabled = section.Bool("enabled", parent.Enabled || section.IsPresent, "Enable the circuit breaker (a present section enables it).");
        var threshold = section.Int("failure_threshold", parent.FailureThreshold, "Consecutive failed attempts that open the breaker; 0 disables this rule.", 0);
        var ratio = section.Double("failure_ratio", parent.FailureRatio, "Share of failed attempts in sampling_window_ms that opens the breaker (0.0-1.0); 0 disables this rule.", 0, 1);
        var window = Ms(section.Long("sampling_window_ms", (long)parent.SamplingWindow.TotalMilliseconds, "Window over which failure_ratio is measured.", 100));
        var throughput = section.Int("minimum_throughput", parent.MinimumThroughput, "Attempts needed in the window before failure_ratio can open the breaker.", 1);
        var recovery = Ms(section.Long("recovery_timeout_ms", (long)parent.RecoveryTimeout.TotalMilliseconds, "Time the breaker stays open before it lets probes through (half-open).", 1));
        var halfOpen = section.Int("half_open_max_calls", parent.HalfOpenMaxCalls, "Probes let through while half-open; all must succeed to close the breaker, one failure opens it again.", 1);
        var failureOn = ReadConditions(section, "failure_on", parent.FailureOn, "Outcomes that count as failures.");
        var codes = ReadStatusCodes(section, "failure_status_codes", parent.FailureStatusCodes, "Statuses that count as failures when failure_on has retriable-status-codes.");
        if (enabled && threshold == 0 && ratio == 0)
        {
            section.Error("failure_threshold", "with failure_ratio 0 too, nothing can open the breaker; set one of them");
        }

        return new CircuitBreakerOptions(enabled, threshold, ratio, window, throughput, recovery, halfOpen, failureOn, codes);
    }

    public static RetryOptions ReadRetry(ConfigReader section, RetryOptions parent)
    {
        var enabled = section.Bool("enabled", parent.Enabled || section.IsPresent, "Retry failed requests (a present section enables it).");
        var attempts = section.Int("max_attempts", parent.MaxAttempts, "Attempts in total, the first included (1 = no retries).", 1, 10);
        var baseBackoff = Ms(section.Long("base_delay_ms", (long)parent.BaseBackoff.TotalMilliseconds, "Backoff base: retry n waits a random time in [0, min(max_delay_ms, base_delay_ms × 2^n)] (full jitter).", 0));
        var maxBackoff = Ms(section.Long("max_delay_ms", (long)parent.MaxBackoff.TotalMilliseconds, "Backoff cap.", 0));
        var retryOn = ReadConditions(section, "retry_on", parent.RetryOn, "Outcomes that are retried.");
        var codes = ReadStatusCodes(section, "retriable_status_codes", parent.RetriableStatusCodes, "Statuses retried when retry_on has retriable-status-codes.");
        var perTry = Ms(section.Long("per_try_timeout_ms", (long)parent.PerTryTimeout.TotalMilliseconds, "Time each attempt waits for response headers; 0 = only the route's overall timeout (request_timeout_ms / timeout_ms).", 0));
        var percent = section.Int("budget_percent", parent.BudgetPercent, "Retry budget: retries in flight may be at most this share of the cluster's active requests.", 0, 100);
        var minimum = section.Int("budget_min_concurrent", parent.BudgetMinConcurrent, "Retries in flight always allowed, whatever budget_percent says.", 0);
        var buffer = section.Long("max_buffered_body_bytes", parent.MaxBufferedBodyBytes, "Request bodies with a Content-Length up to this are buffered so they can be replayed; larger or streamed bodies are not retried.", 0);
        var nonIdempotent = section.Bool("retry_non_idempotent", parent.RetryNonIdempotent, "Also retry POST, PATCH and other non-idempotent methods (they are always retried after a connect failure, which never reached the upstream).");
        var honor = section.Bool("honor_retry_after", parent.HonorRetryAfter, "Wait at least what an upstream's Retry-After says before the next attempt.");
        var maxRetryAfter = Ms(section.Long("max_retry_after_ms", (long)parent.MaxRetryAfter.TotalMilliseconds, "A Retry-After longer than this is not waited for: the response goes to the client.", 0));
        if (maxBackoff < baseBackoff)
        {
            section.Error("max_delay_ms", "must be at least base_delay_ms");
        }

        return new RetryOptions(enabled, attempts, baseBackoff, maxBackoff, retryOn, codes, perTry, percent, minimum, buffer, nonIdempotent, honor, maxRetryAfter);
    }

    private static FailureConditions ReadConditions(ConfigReader section, string key, FailureConditions parent, string doc)
    {
        var names = section.StringList(key, $"{doc} Any of: {string.Join(", ", FailureConditionsExtensions.Names)}.", [.. parent.Format()]);
        var result = FailureConditions.None;
        foreach (var name in names)
        {
            var condition = FailureConditionsExtensions.Parse(name.ToLowerInvariant());
            if (condition == FailureConditions.None)
            {
                section.Error(key, $"'{name}' is not one of: {string.Join(", ", FailureConditionsExtensions.Names)}");
            }

            result |= condition;
        }

        return result;
    }

    private static int[] ReadStatusCodes(ConfigReader section, string key, int[] parent, string doc)
    {
        var values = section.StringList(key, doc, [.. parent.Select(c => c.ToString(CultureInfo.InvariantCulture))]);
        var codes = new List<int>(values.Count);
        foreach (var value in values)
        {
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599)
            {
                codes.Add(code);
            }
            else
            {
                section.Error(key, $"'{value}' is not an HTTP status code (100-599)");
            }
        }

        return [.. codes];
    }

    private static TimeSpan Ms(long milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
