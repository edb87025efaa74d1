using System.Diagnostics;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Outrigger.Core.Telemetry;
using Outrigger.Gateway.Protocol;
using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Telemetry;
using Outrigger.Gateway.Upstream;
using Outrigger.Grpc;
using Outrigger.Grpc.Server;
using Polly.CircuitBreaker;

namespace Outrigger.Gateway.Sidecar;

/// <summary>
/// <c>knhk.sidecar.v1.KgcSidecar</c>: transactions are validated and batched, queries forwarded one by one, both through
/// the orchestrator's retry and breaker; HealthCheck reports the orchestrator as the gateway sees it.
/// </summary>
internal sealed class KgcSidecarService(
    TransactionBatches batches,
    WarmOrchestratorClient client,
    UpstreamPipeline pipeline,
    UpstreamState upstream,
    GatewayTelemetry telemetry,
    int maxTransactionTriples,
    TimeProvider time)
{
    public void Register(GrpcServiceRegistry registry)
    {
        registry.AddUnary(KgcSidecarMethods.SubmitTransaction, (request, context) => ObserveAsync("SubmitTransaction", context, () => SubmitTransactionAsync(request, context)));
        registry.AddUnary(KgcSidecarMethods.SubmitQuery, (request, context) => ObserveAsync("SubmitQuery", context, () => SubmitQueryAsync(request, context)));
        registry.AddUnary(KgcSidecarMethods.HealthCheck, (_, context) => ObserveAsync("HealthCheck", context, () => HealthCheckAsync(context)));
    }

    private async Task<TransactionResponse> SubmitTransactionAsync(Transaction request, ServerCallContext context)
    {
        if (TransactionValidator.Problem(request, maxTransactionTriples) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }

        var key = context.RequestHeaders.GetValue(KgcSidecarMethods.IdempotencyKeyHeader);
        if (key is not null && TransactionValidator.KeyProblem(key) is { } keyProblem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, keyProblem));
        }

        var result = await batches.SubmitAsync(request, key, Activity.Current?.Context ?? default, context.CancellationToken).ConfigureAwait(false);
        var response = new TransactionResponse { Success = result.Success, Receipt = result.Receipt };
        if (result.HasError)
        {
            response.Error = result.Error;
        }

        return response;
    }

    private async Task<QueryResponse> SubmitQueryAsync(Query request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Sparql))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the query is empty: set sparql"));
        }

        try
        {
            var response = await pipeline.ExecuteAsync("query", ct => client.SubmitQueryAsync(request, ct), context.CancellationToken).ConfigureAwait(false);
            upstream.Succeeded();
            return response;
        }
        catch (Exception ex) when (GrpcFailures.IsFailure(ex) && !context.CancellationToken.IsCancellationRequested)
        {
            upstream.Failed(ex.Message);
            throw;
        }
    }

    private async Task<HealthCheckResponse> HealthCheckAsync(ServerCallContext context)
    {
        try
        {
            var answer = await pipeline.ExecuteOnceAsync("health", client.HealthCheckAsync, context.CancellationToken).ConfigureAwait(false);
            upstream.Succeeded();
            return answer.Healthy
                ? new HealthCheckResponse { Healthy = true, Message = $"warm orchestrator {client.Endpoint} is healthy; circuit breaker {UpstreamState.Describe(pipeline.Breaker.State)}" }
                : Unhealthy($"reports unhealthy: {answer.Message}");
        }
        catch (BrokenCircuitException ex)
        {
            return Unhealthy(ex.Message);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
        {
            upstream.Failed(ex.Status.Detail);
            return Unhealthy($"is unreachable ({ex.StatusCode}: {ex.Status.Detail})");
        }
    }

    private HealthCheckResponse Unhealthy(string why) => new()
    {
        Healthy = false,
        Message = $"warm orchestrator {client.Endpoint} {why}; circuit breaker {UpstreamState.Describe(pipeline.Breaker.State)}",
    };

    /// <summary>Runs one request in its span, maps upstream failures to the app's status, and records its latency.</summary>
    private async Task<T> ObserveAsync<T>(string method, ServerCallContext context, Func<Task<T>> handler)
    {
        var headers = context.RequestHeaders;
        using var activity = TraceContext.StartServerActivity(
            GatewayTelemetry.Source, $"KgcSidecar/{method}", headers.GetValue(TraceContext.TraceParentHeader), headers.GetValue(TraceContext.TraceStateHeader));
        var started = time.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var rpc = ToRpcException(ex, context.CancellationToken);
            status = rpc.StatusCode;
            activity?.SetStatus(ActivityStatusCode.Error, rpc.Status.Detail);
            throw rpc;
        }
        finally
        {
            telemetry.RequestCompleted(method, status.ToString(), time.GetElapsedTime(started));
        }
    }

    private RpcException ToRpcException(Exception exception, CancellationToken caller) => exception switch
    {
        RpcException { StatusCode: StatusCode.InvalidArgument or StatusCode.ResourceExhausted or StatusCode.FailedPrecondition or StatusCode.OutOfRange } rpc => rpc,
        RpcException rpc => new RpcException(new Status(rpc.StatusCode, $"warm orchestrator {client.Endpoint}: {rpc.Status.Detail}")),
        BrokenCircuitException broken => new RpcException(new Status(StatusCode.Unavailable, broken.Message)),
        ObjectDisposedException => new RpcException(new Status(StatusCode.Unavailable, "the gateway is shutting down")),
        OperationCanceledException when caller.IsCancellationRequested => new RpcException(Status.DefaultCancelled),
        OperationCanceledException => new RpcException(new Status(StatusCode.Unavailable, "the gateway stopped before the orchestrator answered")),
        _ => new RpcException(new Status(StatusCode.Internal, exception.Message)),
    };
}
