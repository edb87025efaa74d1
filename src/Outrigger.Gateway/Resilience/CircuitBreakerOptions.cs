namespace Outrigger.Gateway.Resilience;

/// <summary>A breaker that opens after consecutive failures (not a failure ratio).</summary>
internal sealed record CircuitBreakerOptions
{
    /// <summary>Consecutive failed attempts that open the breaker. Default 5.</summary>
    public int FailureThreshold { get; init; } = 5;

    /// <summary>How long the breaker stays open before it lets one probe through. Default 60 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Successful half-open probes that close the breaker. Default 1.</summary>
    public int SuccessThreshold { get; init; } = 1;
}
