using System.Globalization;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Policies;
using Outrigger.Proxy.Routing;
using Polly;
using Polly.Retry;

namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Forwards a route's requests through a Polly pipeline: retry (Polly's, with the proxy's predicate, full-jitter delays and
/// budget) around the cluster's circuit breaker around one attempt. The route's timeout is the overall limit for response
/// headers across attempts and backoffs; <c>per_try_timeout_ms</c> limits each attempt. The last attempt's response (or
/// error) goes to the client; the responses of retried attempts are discarded.
/// </summary>
internal sealed partial class ResilientForwarder
{
    public const string BreakerHeader = "x-outrigger-circuit-breaker";

    private readonly ResiliencePipeline<ResilientExchange> _pipeline;
    private readonly ILogger _logger;

    public ResilientForwarder(RetryOptions retry, CircuitBreaker? breaker, RetryBudget budget, HttpForwarder forwarder, TimeProvider time, ILogger logger, Func<double>? random = null)
    {
        Retry = retry;
        Breaker = breaker;
        Budget = budget;
        Forwarder = forwarder;
        Time = time;
        Random = random ?? System.Random.Shared.NextDouble;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder<ResilientExchange> { TimeProvider = time };
        if (retry.Retries)
        {
            builder.AddRetry(new RetryStrategyOptions<ResilientExchange>
            {
                MaxRetryAttempts = retry.MaxAttempts - 1,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result?.ShouldRetry(args.AttemptNumber) == true),
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result!.NextDelay(args.AttemptNumber)),
                OnRetry = static args =>
                {
                    args.Outcome.Result!.DiscardAttempt();
                    return ValueTask.CompletedTask;
                },
            });
        }

        if (breaker is not null)
        {
            builder.AddStrategy(_ => new CircuitBreakerStrategy(breaker));
        }

        _pipeline = builder.Build();
    }

    public RetryOptions Retry { get; }

    public CircuitBreaker? Breaker { get; }

    public RetryBudget Budget { get; }

    public HttpForwarder Forwarder { get; }

    public TimeProvider Time { get; }

    public Func<double> Random { get; }

    /// <summary>Forwards one request; returns the status the client got (499 when it went away).</summary>
    public async Task<int> ForwardAsync(HttpContext context, CompiledRoute route, string[] values)
    {
        var exchange = new ResilientExchange(this, context, route, values);
        if (await BufferBodyAsync(exchange).ConfigureAwait(false) is { } bodyStatus)
        {
            return bodyStatus;
        }

        Budget.RequestStarted();
        using var overall = route.Timeout > TimeSpan.Zero ? new CancellationTokenSource(route.Timeout, Time) : new CancellationTokenSource();
        using var abort = context.RequestAborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), overall);
        var resilience = ResilienceContextPool.Shared.Get(overall.Token);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(static (ctx, ex) => ex.AttemptAsync(ctx.CancellationToken), resilience, exchange).ConfigureAwait(false);
            return await CompleteAsync(exchange, outcome, overall).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
            exchange.Release();
            Budget.RequestEnded();
        }
    }

    private async Task<int> CompleteAsync(ResilientExchange exchange, Outcome<ResilientExchange> outcome, CancellationTokenSource overall)
    {
        var context = exchange.Context;
        var route = exchange.Route;
        if (outcome.Exception is { } exception)
        {
            // Cancellation escapes the pipeline when the client left or the overall timeout fired during a backoff.
            if (context.RequestAborted.IsCancellationRequested)
            {
                return StatusCodes.Status499ClientClosedRequest;
            }

            if (exception is not OperationCanceledException)
            {
                Log.Unexpected(_logger, exception, route.Name);
                await HttpForwarder.WriteErrorAsync(context, StatusCodes.Status502BadGateway, "proxy error").ConfigureAwait(false);
                return StatusCodes.Status502BadGateway;
            }

            Log.GaveUp(_logger, exception, route.Name, exchange.Attempts);
            await HttpForwarder.WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout,
                $"upstream timeout: cluster '{route.Cluster.Name}' sent no usable response within {route.Timeout.TotalMilliseconds} ms ({exchange.Attempts} attempts)").ConfigureAwait(false);
            return StatusCodes.Status504GatewayTimeout;
        }

        if (exchange.BreakerRefused)
        {
            return await RefuseAsync(exchange).ConfigureAwait(false);
        }

        if (exchange.NoEndpoint)
        {
            var cluster = route.Cluster;
            await HttpForwarder.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"no healthy upstream: cluster '{cluster.Name}' has no available endpoints ({cluster.All.Length} known)").ConfigureAwait(false);
            return StatusCodes.Status503ServiceUnavailable;
        }

        return await RespondAsync(exchange, overall).ConfigureAwait(false);
    }

    private async Task<int> RespondAsync(ResilientExchange exchange, CancellationTokenSource overall)
    {
        var upstream = exchange.Upstream;
        var endpoint = exchange.Endpoint!;
        ForwardResult result;
        if (upstream.Response is null)
        {
            var timeout = exchange.OverallTimeout ? exchange.Route.Timeout : exchange.AttemptTimeoutValue;
            result = await Forwarder.WriteFailureAsync(exchange.Context, exchange.Route, endpoint, upstream, exchange.Error, timeout).ConfigureAwait(false);
        }
        else
        {
            overall.CancelAfter(Timeout.InfiniteTimeSpan);
            exchange.DisarmAttemptTimeout();
            result = await Forwarder.RespondAsync(exchange.Context, exchange.Route, endpoint, upstream, overall.Token).ConfigureAwait(false);
        }

        if (exchange.Attempts > 1 && result.Error == ForwarderError.None && result.StatusCode < 500)
        {
            ResilienceMetrics.Add(ResilienceMetrics.RetrySuccess, exchange.Route.Cluster.Name);
        }

        exchange.FinishAttempt(result);
        return result.StatusCode;
    }

    private async Task<int> RefuseAsync(ResilientExchange exchange)
    {
        var breaker = Breaker!;
        var cluster = exchange.Route.Cluster.Name;
        ResilienceMetrics.Add(ResilienceMetrics.BreakerRejected, cluster);
        var open = breaker.State == BreakerState.Open;
        var retryAfter = Math.Max(1, (long)Math.Ceiling(breaker.RetryAfter.TotalSeconds));
        var message = open
            ? $"circuit breaker open: cluster '{cluster}' is failing ({breaker.Reason}); requests are refused for {retryAfter} s more"
            : $"circuit breaker half-open: cluster '{cluster}' is being probed ({breaker.Options.HalfOpenMaxCalls} probe(s) in flight); retry shortly";
        return await PolicyResponse.WriteAsync(exchange.Context, StatusCodes.Status503ServiceUnavailable, message,
            (BreakerHeader, open ? "open" : "half-open"), ("Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
    }

    /// <summary>Buffers a replayable body when retries may need it; returns a status when the client's body was bad.</summary>
    private async Task<int?> BufferBodyAsync(ResilientExchange exchange)
    {
        var context = exchange.Context;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true || context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true)
        {
            return null;
        }

        var length = context.Request.ContentLength;
        if (!Retry.Retries || length is not { } contentLength || contentLength > Retry.MaxBufferedBodyBytes)
        {
            exchange.StreamsBody = true;
            return null;
        }

        try
        {
            exchange.Body = await BufferedBody.ReadAsync(context.Request.BodyReader, (int)contentLength, context.RequestAborted).ConfigureAwait(false);
            AccessLog.RequestRecord.Of(context)?.Received(exchange.Body.Length);
            return null;
        }
        catch (BadHttpRequestException e)
        {
            await HttpForwarder.WriteErrorAsync(context, e.StatusCode, $"bad request body: {e.Message}").ConfigureAwait(false);
            return e.StatusCode;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            return StatusCodes.Status499ClientClosedRequest;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Route {Route}: overall timeout after {Attempts} attempts")]
        public static partial void GaveUp(ILogger logger, Exception exception, string route, int attempts);

        [LoggerMessage(2, LogLevel.Error, "Route {Route}: forwarding failed unexpectedly")]
        public static partial void Unexpected(ILogger logger, Exception exception, string route);
    }
}
