using Google.Protobuf;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Microsoft.Extensions.Logging;

namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>
/// The orchestrator's durable quad store: a <see cref="QuadIndex"/> in memory, a <see cref="WriteAheadLog"/> with one
/// record per committed batch, and a snapshot that lets the log restart. Batches commit one at a time; a batch's
/// record is on disk before any of it is visible or answered. Readers run concurrently with each other.
/// </summary>
internal sealed partial class QuadStore : IDisposable
{
    public const string LogFileName = "orchestrator.wal";
    public const string SnapshotFileName = "orchestrator.snapshot";

    private readonly string _directory;
    private readonly QuadStoreOptions _options;
    private readonly ILogger _logger;
    private readonly QuadIndex _index = new();
    private readonly IdempotencyKeys _keys;
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly SemaphoreSlim _commit = new(1, 1);
    private WriteAheadLog _log = null!;
    private ulong _sequence;

    private QuadStore(string directory, QuadStoreOptions options, ILogger logger)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _keys = new IdempotencyKeys(options.IdempotencyKeys);
    }

    /// <summary>The sequence number of the last committed batch.</summary>
    public ulong Sequence => Volatile.Read(ref _sequence);

    public int QuadCount => Read(index => index.Count);

    /// <summary>Opens the store in <paramref name="directory"/> (created if needed): loads the snapshot, replays the log.</summary>
    public static QuadStore Open(string directory, QuadStoreOptions options, ILogger logger)
    {
        Directory.CreateDirectory(directory);
        var store = new QuadStore(directory, options, logger);
        store.Recover();
        return store;
    }

    /// <summary>Runs <paramref name="reader"/> over the quads while no batch is being applied.</summary>
    public T Read<T>(Func<QuadIndex, T> reader)
    {
        _lock.EnterReadLock();
        try
        {
            return reader(_index);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Applies <paramref name="items"/> as one atomic, durable batch and answers one result per item, in order. A key
    /// already applied answers its first receipt with <c>duplicate=true</c>; an invalid item is rejected alone.
    /// </summary>
    public async Task<IReadOnlyList<ItemResult>> ApplyAsync(IReadOnlyList<BatchItem> items, ulong spanId, CancellationToken cancellationToken)
    {
        await _commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sequence = _sequence + 1;
            var (results, record) = Prepare(items, sequence, spanId);
            if (record.Applied.Count > 0)
            {
                _log.Append(record.ToByteArray());
                Apply(record);
                CompactIfDue();
            }

            return results;
        }
        finally
        {
            _commit.Release();
        }
    }

    public void Dispose()
    {
        _log.Dispose();
        _lock.Dispose();
        _commit.Dispose();
    }

    private (ItemResult[] Results, WalRecord Record) Prepare(IReadOnlyList<BatchItem> items, ulong sequence, ulong spanId)
    {
        var results = new ItemResult[items.Count];
        var record = new WalRecord { Sequence = sequence };
        var inBatch = new Dictionary<string, Receipt>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var key = item.IdempotencyKey;
            if (_keys.TryGet(key, out var earlier) || inBatch.TryGetValue(key, out earlier))
            {
                results[i] = new ItemResult { IdempotencyKey = key, Success = true, Duplicate = true, Receipt = earlier };
            }
            else if (Validate(item) is { } problem)
            {
                results[i] = new ItemResult { IdempotencyKey = key, Success = false, Error = problem };
            }
            else
            {
                var receipt = new Receipt { SpanId = spanId, AHash = DeltaHash.Compute(item.Transaction), Ticks = (uint)sequence, Lanes = (uint)items.Count };
                inBatch[key] = receipt;
                record.Applied.Add(new AppliedTransaction { IdempotencyKey = key, Transaction = item.Transaction, Receipt = receipt });
                results[i] = new ItemResult { IdempotencyKey = key, Success = true, Receipt = receipt };
            }
        }

        return (results, record);
    }

    /// <summary>Why an item cannot be applied, or null.</summary>
    internal static string? Validate(BatchItem item)
    {
        if (item.IdempotencyKey.Length == 0)
        {
            return "idempotency_key is required";
        }

        if (item.Transaction is null || (item.Transaction.Additions.Count == 0 && item.Transaction.Removals.Count == 0))
        {
            return "empty transaction: it has no additions and no removals";
        }

        return null;
    }

    private void Apply(WalRecord record)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var applied in record.Applied)
            {
                foreach (var triple in applied.Transaction.Removals)
                {
                    _index.Remove(Quad.From(triple));
                }

                foreach (var triple in applied.Transaction.Additions)
                {
                    _index.Add(Quad.From(triple));
                }

                _keys.Remember(applied.IdempotencyKey, applied.Receipt);
            }

            Volatile.Write(ref _sequence, record.Sequence);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
