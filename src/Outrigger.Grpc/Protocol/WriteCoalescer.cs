namespace Outrigger.Grpc.Protocol;

/// <summary>
/// The write side of one call's message stream: gives writes their turn in the order they were called and decides
/// when framed messages are flushed to the transport. A write flushes unless it carries
/// <see cref="WriteFlags.BufferHint"/> or another write is already queued behind it (that one flushes for both, so the
/// last write of a burst flushes the burst). Once <see cref="MaxUnflushedBytes"/> are framed and not flushed, every
/// write flushes whatever its flags: the transport's flow control then stalls writers behind a slow reader, and memory
/// stays bounded. See docs/grpc.md ("Write coalescing").
/// </summary>
/// <param name="flush">Sends everything framed so far; called with the turn held.</param>
internal sealed class WriteCoalescer(Func<CancellationToken, ValueTask> flush)
{
    /// <summary>Framed bytes past which a write flushes even with the buffer hint (four default HTTP/2 DATA frames).</summary>
    public const int MaxUnflushedBytes = 64 * 1024;

    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _queued;
    private int _unflushed;
    private bool _flushOwed;

    /// <summary>Flushes done so far (tests use it to see that writes were coalesced).</summary>
    public int Flushes { get; private set; }

    /// <summary>Framed bytes not flushed yet; read it with the turn held.</summary>
    public int UnflushedBytes => _unflushed;

    /// <summary>Waits for this write's turn (first come, first served). Cancelled before it comes, the write never happened.</summary>
    public async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queued);
        try
        {
            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _queued);
            FlushIfOrphaned();
            throw;
        }

        Interlocked.Decrement(ref _queued);
    }

    /// <summary>Ends this write's turn.</summary>
    public void Exit()
    {
        // Checked before releasing, while the write that takes the turn next is still counted as queued.
        var orphaned = IsFlushOrphaned;
        _turn.Release();
        if (orphaned)
        {
            _ = FlushOwedAsync();
        }
    }

    /// <summary>With the turn held, after framing <paramref name="bytes"/> more: flushes now or leaves it to a later write.</summary>
    public ValueTask CommitAsync(int bytes, bool bufferHint, CancellationToken cancellationToken)
    {
        _unflushed += bytes;
        if (_unflushed < MaxUnflushedBytes)
        {
            if (bufferHint && !_flushOwed)
            {
                return default;
            }

            if (Volatile.Read(ref _queued) > 0)
            {
                Volatile.Write(ref _flushOwed, true);
                return default;
            }
        }

        return FlushAsync(cancellationToken);
    }

    /// <summary>With the turn held: sends everything framed so far.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await flush(cancellationToken).ConfigureAwait(false);
        Flushes++;
        _unflushed = 0;
        Volatile.Write(ref _flushOwed, false);
    }

    /// <summary>Marks everything framed so far as sent by other means (a completion that flushes the transport itself).</summary>
    public void MarkFlushed()
    {
        _unflushed = 0;
        Volatile.Write(ref _flushOwed, false);
    }

    /// <summary>
    /// A write that left its flush to the writes queued behind it relies on one of them getting its turn and finishing.
    /// When the last of them was cancelled or failed instead, flush in the background for it.
    /// </summary>
    private void FlushIfOrphaned()
    {
        if (IsFlushOrphaned)
        {
            _ = FlushOwedAsync();
        }
    }

    private bool IsFlushOrphaned => Volatile.Read(ref _flushOwed) && Volatile.Read(ref _queued) == 0;

    private async Task FlushOwedAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_flushOwed && Volatile.Read(ref _queued) == 0)
            {
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or RpcException)
        {
            // The call has ended: nobody is left to tell, and whatever reads or writes next sees the call's status.
        }
        finally
        {
            _turn.Release();
        }
    }
}
