using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Outrigger.Gateway.Resilience;

/// <summary>
/// The resilience around every call to one upstream: retry (per <see cref="RetrySchedule"/>, retryable failures only)
/// around the consecutive-failure breaker around a per-attempt timeout. The breaker sees every attempt; an open breaker
/// is never retried; the caller's own cancellation is never retried.
/// </summary>
internal sealed class UpstreamPipeline
{
    private readonly ResiliencePipeline _withRetry;
    private readonly ResiliencePipeline _once;

    public UpstreamPipeline(string upstream, UpstreamPipelineOptions options, UpstreamFailures failures, TimeProvider time, Func<double> random)
    {
        Breaker = new ConsecutiveFailureBreaker(options.CircuitBreaker, time);
        var breaker = new ConsecutiveFailureBreakerStrategy(Breaker, upstream, IsFailure);
        var retry = new RetryStrategyOptions
        {
            MaxRetryAttempts = options.Retry.MaxAttempts - 1,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && IsRetryable(ex, args.Context.CancellationToken)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(options.Retry.DelayBefore(args.AttemptNumber, random())),
            OnRetry = args =>
            {
                Retrying?.Invoke(args.Context.OperationKey ?? "", args.Outcome.Exception);
                return ValueTask.CompletedTask;
            },
        };

        _withRetry = Build(time, options.AttemptTimeout, breaker, options.Retry.MaxAttempts > 1 ? retry : null);
        _once = Build(time, options.AttemptTimeout, breaker, retry: null);

        bool IsFailure(Exception ex) => ex is TimeoutRejectedException || failures.IsFailure(ex);

        bool IsRetryable(Exception ex, CancellationToken caller) => ex switch
        {
            BrokenCircuitException => false,
            TimeoutRejectedException => true,
            OperationCanceledException when caller.IsCancellationRequested => false,
            _ => failures.IsRetryable(ex),
        };
    }

    /// <summary>Raised before each retry with the operation name and the failure that caused it.</summary>
    public event Action<string, Exception?>? Retrying;

    public ConsecutiveFailureBreaker Breaker { get; }

    /// <summary>Runs <paramref name="call"/> with retries; the token passed to it fires at the attempt's timeout.</summary>
    public ValueTask<T> ExecuteAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RunAsync(_withRetry, operation, call, cancellationToken);

    /// <summary>Runs <paramref name="call"/> once, through the breaker and the attempt timeout.</summary>
    public ValueTask<T> ExecuteOnceAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RunAsync(_once, operation, call, cancellationToken);

    private static async ValueTask<T> RunAsync<T>(ResiliencePipeline pipeline, string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, continueOnCapturedContext: false, cancellationToken);
        try
        {
            return await pipeline.ExecuteAsync(static async (ctx, c) => await c(ctx.CancellationToken).ConfigureAwait(false), context, call).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static ResiliencePipeline Build(TimeProvider time, TimeSpan attemptTimeout, ResilienceStrategy breaker, RetryStrategyOptions? retry)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retry is not null)
        {
            builder.AddRetry(retry);
        }

        return builder.AddStrategy(_ => breaker).AddTimeout(attemptTimeout).Build();
    }
}

/// <summary>Settings of an <see cref="UpstreamPipeline"/>.</summary>
internal sealed record UpstreamPipelineOptions
{
    public RetrySchedule Retry { get; init; } = new();

    public CircuitBreakerOptions CircuitBreaker { get; init; } = new();

    /// <summary>Deadline of one attempt. Default 5 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
