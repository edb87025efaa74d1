using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Outrigger.Coordination.Embedded;

/// <summary>
/// The embedded backend: the state lives in memory (<see cref="MvccState"/>), every write request is first
/// appended to the <see cref="WriteAheadLog"/> and fsynced by a single committer that groups everything queued
/// into one write + fsync (group commit), then applied and answered. Snapshots bound the log; opening replays
/// the newest snapshot and the log after it.
/// </summary>
internal sealed partial class EmbeddedStore : ICoordinationStore
{
    private const int MaxBatch = 4096;
    private const int MaxEventsPerResponse = 1000;
    private readonly Lock _sync = new();
    private readonly EmbeddedStoreOptions _options;
    private readonly ILogger _logger;
    private readonly MvccState _state;
    private readonly WriteAheadLog _wal;
    private readonly FileStream _lockFile;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<EmbeddedWatch> _watches = [];
    private ITimer? _leaseTimer;
    private Task _committer = Task.CompletedTask;
    private Task _snapshotTask = Task.CompletedTask;
    private long _lastIndex;
    private long _recordsSinceSnapshot;
    private long _fsyncs;
    private Exception? _failure;
    private int _disposed;

    private EmbeddedStore(EmbeddedStoreOptions options, TimeProvider time, ILogger logger, FileStream lockFile)
    {
        _options = options;
        TimeProvider = time;
        _logger = logger;
        _lockFile = lockFile;
        _state = new MvccState(time);
        _wal = new WriteAheadLog(options.Directory, logger);
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>How many fsyncs of the log have been made (group commit makes this smaller than the number of writes).</summary>
    internal long FsyncCount => Interlocked.Read(ref _fsyncs);

    /// <summary>
    /// Opens (or creates) the store in <see cref="EmbeddedStoreOptions.Directory"/>, recovering from the newest snapshot
    /// and the log. Leases restart their TTL from now. Throws <see cref="IOException"/> when another process has it open
    /// and <see cref="InvalidDataException"/> (naming the file) when a snapshot or a log record before the tail is damaged.
    /// </summary>
    public static EmbeddedStore Open(EmbeddedStoreOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Directory.CreateDirectory(options.Directory);
        var lockFile = AcquireLock(options.Directory);
        var store = new EmbeddedStore(options, time, loggerFactory.CreateLogger("Outrigger.Coordination.Embedded"), lockFile);
        try
        {
            store.Recover();
        }
        catch
        {
            store._wal.Dispose();
            lockFile.Dispose();
            throw;
        }

        store._committer = Task.Run(store.CommitLoopAsync);
        store._leaseTimer = time.CreateTimer(_ => store.ExpireLeases(), null, options.LeaseCheckInterval, options.LeaseCheckInterval);
        return store;
    }

    public Task<RangeResult> RangeAsync(KeyRange range, RangeOptions? options = null, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateRange(range);
        ThrowIfDisposed();
        lock (_sync)
        {
            return Task.FromResult(_state.Range(range, options ?? new RangeOptions()));
        }
    }

    public async Task<PutResult> PutAsync(string key, ReadOnlyMemory<byte> value, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        var txn = new Txn([], [TxnOp.Put(key, value, leaseId)]);
        RequestLimits.ValidateTxn(txn);
        var result = (TxnResult)(await SubmitAsync(new TxnRequest(txn), cancellationToken).ConfigureAwait(false))!;
        return (PutResult)result.Results[0];
    }

    public async Task<DeleteResult> DeleteAsync(KeyRange range, CancellationToken cancellationToken = default)
    {
        var txn = new Txn([], [TxnOp.Delete(range)]);
        RequestLimits.ValidateTxn(txn);
        var result = (TxnResult)(await SubmitAsync(new TxnRequest(txn), cancellationToken).ConfigureAwait(false))!;
        return (DeleteResult)result.Results[0];
    }

    public async Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateTxn(txn);
        if (txn.IsReadOnly)
        {
            ThrowIfDisposed();
            lock (_sync)
            {
                return _state.ApplyTxn(txn, out _);
            }
        }

        return (TxnResult)(await SubmitAsync(new TxnRequest(txn), cancellationToken).ConfigureAwait(false))!;
    }

    public Task<IWatch> WatchAsync(KeyRange range, long startRevision = 0, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateRange(range);
        ThrowIfDisposed();
        lock (_sync)
        {
            var watch = new EmbeddedWatch(this, range, startRevision > 0 ? startRevision : _state.Revision + 1);
            _watches.Add(watch);
            return Task.FromResult<IWatch>(watch);
        }
    }

    public async Task<LeaseGrant> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var seconds = RequestLimits.ValidateTtl(ttl);
        var id = Random.Shared.NextInt64(1, long.MaxValue);
        return (LeaseGrant)(await SubmitAsync(new GrantRequest(id, seconds), cancellationToken).ConfigureAwait(false))!;
    }

    public Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        lock (_sync)
        {
            var lease = _state.Leases.FindLive(leaseId) ?? throw MvccState.LeaseNotFound(leaseId);
            _state.Leases.Refresh(lease);
            return Task.FromResult(lease.Ttl);
        }
    }

    public Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        SubmitAsync(new RevokeRequest(leaseId), cancellationToken);

    public Task<LeaseInfo?> GetLeaseAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        lock (_sync)
        {
            if (_state.Leases.FindLive(leaseId) is not { } lease)
            {
                return Task.FromResult<LeaseInfo?>(null);
            }

            var keys = lease.Keys.Order(ByteKeys.Instance).Select(k => System.Text.Encoding.UTF8.GetString(k)).ToArray();
            return Task.FromResult<LeaseInfo?>(new LeaseInfo(leaseId, _state.Leases.Remaining(lease), lease.Ttl, keys));
        }
    }

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) =>
        SubmitAsync(new CompactRequest(revision), cancellationToken);

    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long size = 0;
        foreach (var file in Directory.EnumerateFiles(_options.Directory))
        {
            size += new FileInfo(file).Length;
        }

        lock (_sync)
        {
            return Task.FromResult(new StoreStatus($"embedded:{_options.Directory}", ThisVersion, _state.Revision, size, IsLeader: _failure is null));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _leaseTimer?.Dispose();
        _queue.Writer.TryComplete();
        await _committer.ConfigureAwait(false);
        await _snapshotTask.ConfigureAwait(false);
        lock (_sync)
        {
            foreach (var watch in _watches)
            {
                watch.Close();
            }

            _watches.Clear();
        }

        _wal.Dispose();
        _lockFile.Dispose();
    }

    /// <summary>Events for a watch from <paramref name="next"/> on; advances <paramref name="next"/> past what was scanned.</summary>
    internal List<WatchEvent> CollectEvents(KeyRange range, ref long next)
    {
        lock (_sync)
        {
            var events = _state.CollectEvents(range, next, MaxEventsPerResponse, out var after);
            next = after;
            return events;
        }
    }

    internal void RemoveWatch(EmbeddedWatch watch)
    {
        lock (_sync)
        {
            _watches.Remove(watch);
        }
    }

    private static string ThisVersion { get; } = typeof(EmbeddedStore).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static FileStream AcquireLock(string directory)
    {
        var path = Path.Combine(directory, "LOCK");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"the coordination store in {directory} is in use by another process (cannot lock {path})", e);
        }
    }

    private void Recover()
    {
        var started = TimeProvider.GetTimestamp();
        var snapshotIndex = SnapshotFile.FindNewest(_options.Directory);
        if (snapshotIndex > 0)
        {
            SnapshotFile.Load(_options.Directory, snapshotIndex, _state);
        }

        SnapshotFile.DeleteOlder(_options.Directory, snapshotIndex);
        _lastIndex = _wal.Recover(snapshotIndex, (_, request) => ApplyQuietly(request));
        _recordsSinceSnapshot = _lastIndex - snapshotIndex;
        LogOpened(_logger, _options.Directory, _state.Revision, _state.KeyCount, _state.Leases.Count, _lastIndex - snapshotIndex, TimeProvider.GetElapsedTime(started).TotalMilliseconds);
    }

    private void ApplyQuietly(LogRequest request)
    {
        try
        {
            Apply(request);
        }
        catch (CoordinationException)
        {
            // The request failed when first applied too (for example a put on a lease that had expired): same outcome.
        }
    }

    private object? Apply(LogRequest request)
    {
        switch (request)
        {
            case TxnRequest txn:
                return _state.ApplyTxn(txn.Txn, out _);
            case GrantRequest grant:
                return _state.GrantLease(grant.Id, grant.TtlSeconds);
            case RevokeRequest revoke:
                _state.RevokeLease(revoke.Id, out _);
                return null;
            case CompactRequest compact:
                _state.Compact(compact.Revision);
                return null;
            default:
                throw new InvalidOperationException($"unknown request {request.GetType().Name}");
        }
    }

    private async Task<object?> SubmitAsync(LogRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_failure is { } failure)
        {
            throw Unavailable(failure);
        }

        var pending = new PendingWrite(request);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw Closed();
        }

        return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CommitLoopAsync()
    {
        var batch = new List<PendingWrite>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            buffer.ResetWrittenCount();
            while (batch.Count < MaxBatch && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (_failure is null && Append(batch, buffer))
            {
                ApplyBatch(batch);
                MaybeSnapshot(batch.Count);
            }
            else
            {
                foreach (var pending in batch)
                {
                    pending.TrySetException(Unavailable(_failure!));
                }
            }
        }
    }

    /// <summary>Writes and fsyncs the batch. On an I/O error the store stops accepting writes: what is on disk is unknown.</summary>
    private bool Append(List<PendingWrite> batch, ArrayBufferWriter<byte> buffer)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _wal.Frame(buffer, _lastIndex + 1 + i, batch[i].Request);
        }

        try
        {
            var started = Stopwatch.GetTimestamp();
            _wal.AppendAndSync(buffer.WrittenSpan);
            Interlocked.Increment(ref _fsyncs);
            CoordinationMetrics.FsyncDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            CoordinationMetrics.CommitBatchSize.Record(batch.Count);
            _lastIndex += batch.Count;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _failure = e;
            LogWriteFailed(_logger, _options.Directory, e);
            return false;
        }
    }

    private void ApplyBatch(List<PendingWrite> batch)
    {
        var outcomes = new object?[batch.Count];
        lock (_sync)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    outcomes[i] = Apply(batch[i].Request);
                }
                catch (CoordinationException e)
                {
                    outcomes[i] = e;
                }
            }

            foreach (var watch in _watches)
            {
                watch.WakeUp();
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is CoordinationException error)
            {
                batch[i].TrySetException(error);
            }
            else
            {
                batch[i].TrySetResult(outcomes[i]);
            }
        }
    }

    private void MaybeSnapshot(int applied)
    {
        _recordsSinceSnapshot += applied;
        if ((_recordsSinceSnapshot < _options.SnapshotEvery && _wal.CurrentSegmentBytes < _options.MaxSegmentBytes) || !_snapshotTask.IsCompleted)
        {
            return;
        }

        _recordsSinceSnapshot = 0;
        var index = _lastIndex;
        byte[] bytes;
        lock (_sync)
        {
            var keepFrom = _state.Revision - _options.HistoryRetention;
            if (_options.HistoryRetention > 0 && keepFrom > _state.CompactRevision)
            {
                _state.Compact(keepFrom);
            }

            bytes = SnapshotFile.Serialize(_state, index);
        }

        try
        {
            _wal.Rotate(index + 1);
        }
        catch (IOException e)
        {
            _failure = e;
            LogWriteFailed(_logger, _options.Directory, e);
            return;
        }

        _snapshotTask = Task.Run(() => WriteSnapshot(index, bytes));
    }

    private void WriteSnapshot(long index, byte[] bytes)
    {
        try
        {
            SnapshotFile.Write(_options.Directory, index, bytes);
            _wal.DeleteCoveredSegments(index);
            SnapshotFile.DeleteOlder(_options.Directory, index);
            LogSnapshot(_logger, index, bytes.Length);
        }
        catch (IOException e)
        {
            LogSnapshotFailed(_logger, index, e);
        }
    }

    private void ExpireLeases()
    {
        List<long> expired;
        lock (_sync)
        {
            expired = _state.Leases.TakeExpired();
        }

        foreach (var id in expired)
        {
            LogLeaseExpired(_logger, id);
            _ = SubmitAsync(new RevokeRequest(id), CancellationToken.None).ContinueWith(
                t => LogRevokeFailed(_logger, id, t.Exception!.InnerException!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw Closed();
        }
    }

    private static CoordinationException Closed() => new(CoordinationError.Closed, "the coordination store is closed");

    private static CoordinationException Unavailable(Exception failure) =>
        new(CoordinationError.Unavailable, $"the coordination store's log cannot be written ({failure.Message}); the store is read-only until restarted", failure);

    private sealed class PendingWrite(LogRequest request) : TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public LogRequest Request { get; } = request;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Opened coordination store {Directory}: revision {Revision}, {Keys} keys, {Leases} leases, {Replayed} log records replayed in {Milliseconds:F0} ms")]
    private static partial void LogOpened(ILogger logger, string directory, long revision, int keys, int leases, long replayed, double milliseconds);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Writing the coordination log in {Directory} failed; the store refuses writes until restarted")]
    private static partial void LogWriteFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Snapshot at log index {Index} written ({Bytes} bytes)")]
    private static partial void LogSnapshot(ILogger logger, long index, int bytes);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Writing the snapshot at log index {Index} failed; the log is kept and replayed instead")]
    private static partial void LogSnapshotFailed(ILogger logger, long index, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Lease {LeaseId} expired; revoking it")]
    private static partial void LogLeaseExpired(ILogger logger, long leaseId);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Revoking expired lease {LeaseId} failed")]
    private static partial void LogRevokeFailed(ILogger logger, long leaseId, Exception exception);
}
