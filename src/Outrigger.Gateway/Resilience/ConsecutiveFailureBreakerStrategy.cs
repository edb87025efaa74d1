using System.Globalization;
using Polly;
using Polly.CircuitBreaker;

namespace Outrigger.Gateway.Resilience;

/// <summary>
/// Puts a <see cref="ConsecutiveFailureBreaker"/> into a Polly pipeline. Polly's own breaker counts a failure ratio over
/// a sampling window, so a success inside the window keeps it closed after five failures in a row; this one counts
/// consecutive failures, as the gateway's contract says. Refused calls throw Polly's <see cref="BrokenCircuitException"/>
/// with <see cref="BrokenCircuitException.RetryAfter"/>.
/// </summary>
internal sealed class ConsecutiveFailureBreakerStrategy(ConsecutiveFailureBreaker breaker, string upstream, Func<Exception, bool> isFailure)
    : ResilienceStrategy
{
    protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state)
    {
        if (!breaker.TryAcquire(out var retryAfter))
        {
            return Outcome.FromException<TResult>(Refusal(retryAfter));
        }

        Outcome<TResult> outcome;
        try
        {
            outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }
        catch (Exception ex)
        {
            outcome = Outcome.FromException<TResult>(ex);
        }

        Report(outcome.Exception, context.CancellationToken);
        return outcome;
    }

    private void Report(Exception? exception, CancellationToken cancellation)
    {
        if (exception is null)
        {
            breaker.OnSuccess();
        }
        else if (cancellation.IsCancellationRequested)
        {
            breaker.OnAbandoned();
        }
        else if (isFailure(exception))
        {
            breaker.OnFailure();
        }
        else
        {
            breaker.OnSuccess();
        }
    }

    private BrokenCircuitException Refusal(TimeSpan retryAfter)
    {
        var message = retryAfter > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"circuit breaker to {upstream} is open; retry after {Math.Ceiling(retryAfter.TotalSeconds)}s")
            : $"circuit breaker to {upstream} is half-open and its probe is in flight; retry shortly";
        return new BrokenCircuitException(message, retryAfter);
    }
}
