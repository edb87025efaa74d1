using System.Diagnostics;
using System.Globalization;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Outrigger.Gateway.Batching;
using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Telemetry;
using Outrigger.Gateway.Upstream;
using Outrigger.Grpc;

namespace Outrigger.Gateway.Sidecar;

/// <summary>A transaction waiting for its batch, with the span of the request that brought it.</summary>
internal sealed record PendingTransaction(BatchItem Item, ActivityContext Parent);

/// <summary>
/// Turns transactions into batches for the orchestrator: each gets an idempotency key, waits in the
/// <see cref="Batcher{TItem,TResult}"/>, and is answered with its own item of the committed batch. Limits the
/// transactions waiting (<c>max_pending</c>) and the batches in flight (<c>max_inflight_batches</c>).
/// </summary>
internal sealed class TransactionBatches : IAsyncDisposable
{
    private readonly Batcher<PendingTransaction, ItemResult> _batcher;
    private readonly WarmOrchestratorClient _client;
    private readonly UpstreamPipeline _pipeline;
    private readonly UpstreamState _upstream;
    private readonly GatewayTelemetry _telemetry;
    private readonly SemaphoreSlim _inflight;
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _keyPrefix = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()));
    private readonly int _maxPending;
    private long _sequence;
    private int _pending;
    private int _disposed;

    public TransactionBatches(BatchingLimits limits, WarmOrchestratorClient client, UpstreamPipeline pipeline, UpstreamState upstream, GatewayTelemetry telemetry, TimeProvider time)
    {
        _client = client;
        _pipeline = pipeline;
        _upstream = upstream;
        _telemetry = telemetry;
        _maxPending = limits.MaxPending;
        _inflight = new SemaphoreSlim(limits.MaxInflightBatches, limits.MaxInflightBatches);
        _batcher = new Batcher<PendingTransaction, ItemResult>(limits.BatchSize, limits.BatchTimeout, SendAsync, time);
    }

    /// <summary>Queues <paramref name="transaction"/> and returns its result once its batch is committed (or failed).</summary>
    public async Task<ItemResult> SubmitAsync(Transaction transaction, string? idempotencyKey, ActivityContext parent, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _pending) > _maxPending)
        {
            Interlocked.Decrement(ref _pending);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"the gateway already holds {_maxPending} transactions waiting for the orchestrator (gateway.max_pending); retry later"));
        }

        try
        {
            var key = idempotencyKey ?? string.Create(CultureInfo.InvariantCulture, $"{_keyPrefix}-{Interlocked.Increment(ref _sequence)}");
            var item = new BatchItem { IdempotencyKey = key, Transaction = transaction };
            return await _batcher.SubmitAsync(new PendingTransaction(item, parent), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Sends what waits and lets batches in flight finish (until <see cref="Abort"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Dispose();
            _inflight.Dispose();
        }
    }

    /// <summary>Cancels batches still in flight (the drain timeout has passed).</summary>
    public void Abort()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped: nothing is in flight.
        }
    }

    private async Task<IReadOnlyList<ItemResult>> SendAsync(IReadOnlyList<PendingTransaction> batch, FlushReason reason)
    {
        _telemetry.BatchFlushed(batch.Count, reason);
        await _inflight.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            using var activity = StartBatchActivity(batch);
            var request = new BatchRequest { BatchId = activity?.SpanId.ToHexString() ?? ActivitySpanId.CreateRandom().ToHexString() };
            foreach (var pending in batch)
            {
                request.Items.Add(pending.Item);
            }

            var response = await _pipeline.ExecuteAsync("batch", ct => _client.SubmitBatchAsync(request, ct), _stopping.Token).ConfigureAwait(false);
            if (response.Results.Count != batch.Count)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"the orchestrator answered {response.Results.Count} results for a batch of {batch.Count}"));
            }

            _upstream.Succeeded();
            return response.Results;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _upstream.Failed(ex.Message);
            throw;
        }
        finally
        {
            _inflight.Release();
        }
    }

    private static Activity? StartBatchActivity(IReadOnlyList<PendingTransaction> batch)
    {
        var links = new List<ActivityLink>(batch.Count);
        foreach (var pending in batch)
        {
            if (pending.Parent != default)
            {
                links.Add(new ActivityLink(pending.Parent));
            }
        }

        var activity = GatewayTelemetry.Source.StartActivity("gateway.batch", ActivityKind.Client, parentContext: default, links: links);
        activity?.SetTag("batch.size", batch.Count);
        return activity;
    }
}

/// <summary>The batching settings <see cref="TransactionBatches"/> needs.</summary>
internal sealed record BatchingLimits(int BatchSize, TimeSpan BatchTimeout, int MaxPending, int MaxInflightBatches);
