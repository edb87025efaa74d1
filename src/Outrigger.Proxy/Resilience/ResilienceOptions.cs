namespace Outrigger.Proxy.Resilience;

/// <summary>
/// A cluster's circuit breaker (spec 002 <c>circuit_breaker</c>). It opens when <see cref="FailureThreshold"/> attempts in a
/// row failed, or when at least <see cref="MinimumThroughput"/> attempts in the last <see cref="SamplingWindow"/> failed in a
/// share of at least <see cref="FailureRatio"/> (either rule may be switched off with 0). While open every request gets 503 at
/// once. After <see cref="RecoveryTimeout"/> it is half-open: <see cref="HalfOpenMaxCalls"/> probes are let through; when
/// they all succeed it closes, when one fails it opens again. What a failure is comes from <see cref="FailureOn"/>.
/// </summary>
internal sealed record CircuitBreakerOptions(
    bool Enabled,
    int FailureThreshold,
    double FailureRatio,
    TimeSpan SamplingWindow,
    int MinimumThroughput,
    TimeSpan RecoveryTimeout,
    int HalfOpenMaxCalls,
    FailureConditions FailureOn,
    int[] FailureStatusCodes)
{
    public static CircuitBreakerOptions Default { get; } = new(
        false, 5, 0, TimeSpan.FromSeconds(10), 10, TimeSpan.FromSeconds(60), 1, FailureConditions.Status5xx, []);
}

/// <summary>
/// Retries of one request (spec 002 <c>retry</c>). At most <see cref="MaxAttempts"/> attempts (the first included), each to
/// another endpoint when the cluster has one, after a full-jitter exponential backoff: a random delay in
/// [0, min(<see cref="MaxBackoff"/>, <see cref="BaseBackoff"/> × 2^retry)]. Only outcomes in <see cref="RetryOn"/> are retried;
/// only requests whose body can be sent again (none, or buffered because its Content-Length is at most
/// <see cref="MaxBufferedBodyBytes"/>); non-idempotent methods only when <see cref="RetryNonIdempotent"/> or when the
/// connection failed (the request never left). Retries in flight stay below <see cref="BudgetPercent"/>% of the cluster's
/// active requests (at least <see cref="BudgetMinConcurrent"/>). Each attempt waits at most <see cref="PerTryTimeout"/> for
/// response headers (0: only the route's overall timeout applies).
/// </summary>
internal sealed record RetryOptions(
    bool Enabled,
    int MaxAttempts,
    TimeSpan BaseBackoff,
    TimeSpan MaxBackoff,
    FailureConditions RetryOn,
    int[] RetriableStatusCodes,
    TimeSpan PerTryTimeout,
    int BudgetPercent,
    int BudgetMinConcurrent,
    long MaxBufferedBodyBytes,
    bool RetryNonIdempotent,
    bool HonorRetryAfter,
    TimeSpan MaxRetryAfter)
{
    public static RetryOptions Default { get; } = new(
        false, 3, TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(250), FailureConditions.GatewayError | FailureConditions.ConnectFailure | FailureConditions.Reset,
        [], TimeSpan.Zero, 20, 3, 64 * 1024, false, true, TimeSpan.FromSeconds(10));

    /// <summary>Whether requests are retried at all.</summary>
    public bool Retries => Enabled && MaxAttempts > 1;
}
