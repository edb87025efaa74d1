namespace Outrigger.Proxy.Resilience;

/// <summary>A circuit breaker's state; the values are those of the <c>proxy_circuit_breaker_state</c> gauge.</summary>
internal enum BreakerState
{
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}

/// <summary>Permission to make one attempt through a breaker; its outcome must be reported with the same lease.</summary>
/// <param name="Generation">The breaker's state generation when the call was admitted; outcomes of older generations are ignored.</param>
/// <param name="Probe">Whether the call was admitted as a half-open probe.</param>
internal readonly record struct BreakerLease(long Generation, bool Probe);
