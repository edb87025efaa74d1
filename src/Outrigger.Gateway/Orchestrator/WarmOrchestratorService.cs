using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Outrigger.Core.Telemetry;
using Outrigger.Gateway.Orchestrator.Sparql;
using Outrigger.Gateway.Orchestrator.Store;
using Outrigger.Gateway.Protocol;
using Outrigger.Grpc;
using Outrigger.Grpc.Server;

namespace Outrigger.Gateway.Orchestrator;

/// <summary><c>knhk.warm.v1.WarmOrchestrator</c> over a <see cref="QuadStore"/>.</summary>
internal sealed class WarmOrchestratorService(QuadStore store, int maxQueryResults)
{
    public const int MaxBatchItems = 1024;

    private static readonly ActivitySource Source = OutriggerTelemetry.CreateActivitySource("Orchestrator");

    public void Register(GrpcServiceRegistry registry)
    {
        registry.AddUnary(WarmOrchestratorMethods.SubmitBatch, SubmitBatchAsync);
        registry.AddUnary(WarmOrchestratorMethods.SubmitQuery, (request, context) => Task.FromResult(SubmitQuery(request, context)));
        registry.AddUnary(WarmOrchestratorMethods.HealthCheck, (_, _) => Task.FromResult(HealthCheck()));
    }

    private async Task<BatchResponse> SubmitBatchAsync(BatchRequest request, ServerCallContext context)
    {
        if (request.Items.Count is 0 or > MaxBatchItems)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"a batch holds 1 to {MaxBatchItems} items; this one has {request.Items.Count}"));
        }

        using var activity = StartActivity("WarmOrchestrator/SubmitBatch", context);
        activity?.SetTag("batch.id", request.BatchId);
        activity?.SetTag("batch.size", request.Items.Count);
        IReadOnlyList<ItemResult> results;
        try
        {
            results = await store.ApplyAsync(request.Items, SpanId(activity), context.CancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the quad store could not write the batch (nothing was applied): {ex.Message}"));
        }

        var response = new BatchResponse();
        response.Results.AddRange(results);
        return response;
    }

    private QueryResponse SubmitQuery(Query request, ServerCallContext context)
    {
        using var activity = StartActivity("WarmOrchestrator/SubmitQuery", context);
        try
        {
            var query = SparqlParser.Parse(request.Sparql);
            var rows = store.Read(index => SparqlEvaluator.Evaluate(query, index, maxQueryResults, context.CancellationToken));
            return ToResponse(query, rows);
        }
        catch (SparqlException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
        catch (SparqlResultLimitException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }
    }

    private HealthCheckResponse HealthCheck() => new()
    {
        Healthy = true,
        Message = string.Create(CultureInfo.InvariantCulture, $"quad store: {store.QuadCount} quads at sequence {store.Sequence}"),
    };

    private static QueryResponse ToResponse(SparqlQuery query, IReadOnlyList<ulong?[]> rows)
    {
        var response = new QueryResponse { Success = true };
        if (query.Form == QueryForm.Ask)
        {
            response.Bindings.Add(new BindingSet { Bindings = { ["ask"] = new Value { Literal = rows.Count > 0 ? "true" : "false" } } });
            return response;
        }

        foreach (var row in rows)
        {
            var set = new BindingSet();
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is { } id)
                {
                    set.Bindings[query.Variables[query.Projection[i]]] = new Value { Iri = SparqlParser.TermIriPrefix + id.ToString(CultureInfo.InvariantCulture) };
                }
            }

            response.Bindings.Add(set);
        }

        return response;
    }

    private static Activity? StartActivity(string name, ServerCallContext context) =>
        TraceContext.StartServerActivity(Source, name, context.RequestHeaders.GetValue(TraceContext.TraceParentHeader), context.RequestHeaders.GetValue(TraceContext.TraceStateHeader));

    /// <summary>The commit span's id as an integer (its 8 bytes, big-endian as written in traceparent); a fresh id when nobody records spans.</summary>
    private static ulong SpanId(Activity? activity)
    {
        var id = activity?.SpanId ?? ActivitySpanId.CreateRandom();
        Span<byte> bytes = stackalloc byte[8];
        id.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }
}
