namespace Outrigger.Gateway.Batching;

/// <summary>Sends one batch and returns one result per item, in order. Throwing fails every item of the batch.</summary>
internal delegate Task<IReadOnlyList<TResult>> BatchHandler<TItem, TResult>(IReadOnlyList<TItem> items, FlushReason reason);

/// <summary>
/// Groups items into batches of at most <c>maxSize</c>: a batch is sent as soon as it is full, or <c>timeout</c>
/// after its first item (timed with the injected <see cref="TimeProvider"/>). Each caller awaits its own item's result.
/// Several batches may be in flight at once; limiting that is the handler's business.
/// </summary>
internal sealed class Batcher<TItem, TResult> : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly int _maxSize;
    private readonly TimeSpan _timeout;
    private readonly BatchHandler<TItem, TResult> _handler;
    private readonly TimeProvider _time;
    private readonly HashSet<Task> _inflight = [];
    private List<Pending> _open = [];
    private ITimer? _timer;
    private long _generation;
    private bool _closed;

    public Batcher(int maxSize, TimeSpan timeout, BatchHandler<TItem, TResult> handler, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSize, 1);
        _maxSize = maxSize;
        _timeout = timeout;
        _handler = handler;
        _time = time;
    }

    /// <summary>How many items wait in the open batch.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="item"/> to the open batch and completes with its result once the batch is handled.
    /// Cancelling before the batch is sent takes the item out of it.
    /// </summary>
    public Task<TResult> SubmitAsync(TItem item, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        var pending = new Pending(item);
        if (cancellationToken.CanBeCanceled)
        {
            pending.CancelWith(cancellationToken);
        }

        List<Pending>? full = null;
        lock (_lock)
        {
            if (_closed)
            {
                pending.TryClaim();
                throw new ObjectDisposedException(nameof(Batcher<TItem, TResult>), "the batcher is stopping");
            }

            _open.Add(pending);
            if (_open.Count >= _maxSize)
            {
                full = Detach();
            }
            else if (_open.Count == 1)
            {
                var generation = _generation;
                _timer = _time.CreateTimer(static s => ((TimerState)s!).Fire(), new TimerState(this, generation), _timeout, Timeout.InfiniteTimeSpan);
            }
        }

        if (full is not null)
        {
            Dispatch(full, FlushReason.Size);
        }

        return pending.Completion.Task;
    }

    /// <summary>Sends the open batch now and waits for every batch in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Pending> rest;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            rest = Detach();
        }

        Dispatch(rest, FlushReason.Shutdown);
        Task[] inflight;
        lock (_inflight)
        {
            inflight = [.. _inflight];
        }

        await Task.WhenAll(inflight).ConfigureAwait(false);
    }

    private List<Pending> Detach()
    {
        var batch = _open;
        _open = [];
        _generation++;
        _timer?.Dispose();
        _timer = null;
        return batch;
    }

    private void OnTimer(long generation)
    {
        List<Pending> batch;
        lock (_lock)
        {
            if (generation != _generation || _open.Count == 0)
            {
                return;
            }

            batch = Detach();
        }

        Dispatch(batch, FlushReason.Timeout);
    }

    private void Dispatch(List<Pending> batch, FlushReason reason)
    {
        var live = batch.FindAll(p => p.TryClaim());
        if (live.Count == 0)
        {
            return;
        }

        var task = RunAsync(live, reason);
        lock (_inflight)
        {
            if (!task.IsCompleted)
            {
                _inflight.Add(task);
            }
        }

        _ = task.ContinueWith(
            static (t, s) =>
            {
                var set = (HashSet<Task>)s!;
                lock (set)
                {
                    set.Remove(t);
                }
            },
            _inflight,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task RunAsync(List<Pending> batch, FlushReason reason)
    {
        var items = new TItem[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            items[i] = batch[i].Item;
        }

        try
        {
            var results = await _handler(items, reason).ConfigureAwait(false);
            if (results.Count != items.Length)
            {
                throw new InvalidOperationException($"batch handler returned {results.Count} results for {items.Length} items");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private sealed class TimerState(Batcher<TItem, TResult> owner, long generation)
    {
        public void Fire() => owner.OnTimer(generation);
    }

    /// <summary>One caller's item. It is either claimed by a batch being sent or cancelled, never both.</summary>
    private sealed class Pending(TItem item)
    {
        private const int Open = 0;
        private const int Claimed = 1;
        private const int Cancelled = 2;
        private int _state;
        private CancellationTokenRegistration _registration;
        private CancellationToken _token;

        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryClaim()
        {
            _registration.Dispose();
            return Interlocked.CompareExchange(ref _state, Claimed, Open) == Open;
        }

        public void CancelWith(CancellationToken token)
        {
            _token = token;
            _registration = token.Register(static s => ((Pending)s!).Cancel(), this);
        }

        private void Cancel()
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Open) == Open)
            {
                Completion.TrySetCanceled(_token);
            }
        }
    }
}
