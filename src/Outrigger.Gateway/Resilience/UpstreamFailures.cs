namespace Outrigger.Gateway.Resilience;

/// <summary>How the upstream client's exceptions are judged by the retry and the breaker.</summary>
/// <param name="IsRetryable">Worth another attempt (the upstream may answer next time).</param>
/// <param name="IsFailure">Counts against the breaker (the upstream is unwell, not the request).</param>
internal sealed record UpstreamFailures(Func<Exception, bool> IsRetryable, Func<Exception, bool> IsFailure);
