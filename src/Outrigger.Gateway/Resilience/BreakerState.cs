namespace Outrigger.Gateway.Resilience;

/// <summary>The state of a circuit breaker; the values are those of the <c>circuit_breaker_state</c> gauge.</summary>
internal enum BreakerState
{
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}
