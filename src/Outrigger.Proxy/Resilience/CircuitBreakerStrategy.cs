using Polly;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Puts a cluster's <see cref="CircuitBreaker"/> into a route's Polly pipeline, inside the retry strategy so that every
/// attempt passes through it. Polly's own breaker measures a failure ratio only and admits a single half-open probe; the
/// spec's breaker counts consecutive failures (and optionally a ratio) and admits <c>half_open_max_calls</c> probes. A
/// refused attempt is not run: the exchange is marked and returned, and the retry strategy does not retry it.
/// </summary>
internal sealed class CircuitBreakerStrategy(CircuitBreaker breaker) : ResilienceStrategy<ResilientExchange>
{
    protected override async ValueTask<Outcome<ResilientExchange>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ResilientExchange>>> callback,
        ResilienceContext context,
        TState state)
    {
        if (!breaker.TryAcquire(out var lease))
        {
            var exchange = (ResilientExchange)(object)state!;
            exchange.RefusedByBreaker();
            return Outcome.FromResult(exchange);
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        if (outcome.Result is not { } result || result.ClientGone)
        {
            breaker.OnAbandoned(lease);
        }
        else if (result.IsFailure(breaker.Options))
        {
            breaker.OnFailure(lease);
        }
        else
        {
            breaker.OnSuccess(lease);
        }

        return outcome;
    }
}
