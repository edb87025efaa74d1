using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Outrigger.Gateway.Resilience;

/// <summary>
/// The resilience around every call to one upstream: retry (per <see cref="RetrySchedule"/>, retryable failures only)
/// around the consecutive-failure breaker. The breaker sees every attempt; an open breaker is never retried; the caller's
/// own cancellation is never retried. Each attempt's deadline is the call's own (gRPC's <c>grpc-timeout</c>), so the
/// upstream knows it too.
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

        _withRetry = Build(time, breaker, options.Retry.MaxAttempts > 1 ? retry : null);
        _once = Build(time, breaker, retry: null);

        bool IsFailure(Exception ex) => failures.IsFailure(ex);

        bool IsRetryable(Exception ex, CancellationToken caller) =>
            ex is not BrokenCircuitException && !caller.IsCancellationRequested && failures.IsRetryable(ex);
    }

    /// <summary>Raised before each retry with the operation name and the failure that caused it.</summary>
    public event Action<string, Exception?>? Retrying;

    public ConsecutiveFailureBreaker Breaker { get; }

    /// <summary>Runs <paramref name="call"/> with retries.</summary>
    public ValueTask<T> ExecuteAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RunAsync(_withRetry, operation, call, cancellationToken);

    /// <summary>Runs <paramref name="call"/> once, through the breaker.</summary>
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

    private static ResiliencePipeline Build(TimeProvider time, ResilienceStrategy breaker, RetryStrategyOptions? retry)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retry is not null)
        {
            builder.AddRetry(retry);
        }

        return builder.AddStrategy(_ => breaker).Build();
    }
}

/// <summary>Settings of an <see cref="UpstreamPipeline"/>.</summary>
internal sealed record UpstreamPipelineOptions
{
    public RetrySchedule Retry { get; init; } = new();

    public CircuitBreakerOptions CircuitBreaker { get; init; } = new();
}
