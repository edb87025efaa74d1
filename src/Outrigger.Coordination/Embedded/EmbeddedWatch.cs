using System.Threading.Channels;

namespace Outrigger.Coordination.Embedded;

/// <summary>
/// A watch on the embedded store. It keeps only the next revision to deliver and pulls events from the store's
/// event history, so it cannot skip or repeat a revision; commits only wake it up.
/// </summary>
internal sealed class EmbeddedWatch : IWatch
{
    private readonly EmbeddedStore _store;
    private readonly KeyRange _range;
    private readonly Channel<bool> _wakeUp = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private long _next;
    private volatile bool _closed;

    public EmbeddedWatch(EmbeddedStore store, KeyRange range, long startRevision)
    {
        _store = store;
        _range = range;
        _next = startRevision;
    }

    public void WakeUp() => _wakeUp.Writer.TryWrite(true);

    public void Close()
    {
        _closed = true;
        _wakeUp.Writer.TryComplete();
    }

    public async ValueTask<WatchResponse> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_closed)
            {
                throw new CoordinationException(CoordinationError.Closed, "the watch was closed");
            }

            var events = _store.CollectEvents(_range, ref _next);
            if (events.Count > 0)
            {
                return new WatchResponse(events);
            }

            if (await _wakeUp.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _wakeUp.Reader.TryRead(out _);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _store.RemoveWatch(this);
        Close();
        return ValueTask.CompletedTask;
    }
}
