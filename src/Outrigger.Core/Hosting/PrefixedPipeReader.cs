using System.Buffers;
using System.IO.Pipelines;

namespace Outrigger.Core.Hosting;

/// <summary>
/// A reader that yields <c>prefix</c> before the bytes of <c>inner</c>, as one stream: while part of the prefix is left,
/// reads return it (with any inner bytes that had to be joined to it, when the consumer examined all of it and asked for
/// more); once it is consumed, every call goes straight to <c>inner</c>. Only bytes joined to the prefix are copied.
/// </summary>
internal sealed class PrefixedPipeReader(ReadOnlyMemory<byte> prefix, PipeReader inner) : PipeReader
{
    private byte[] _pending = prefix.ToArray();
    private int _start;
    private int _end = prefix.Length;
    private bool _needMore;
    private bool _innerCompleted;
    private bool _lastFromPending;
    private volatile bool _cancelled;
    private ReadOnlySequence<byte> _last;

    private bool Draining => _start < _end;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!Draining)
        {
            // Not an await: the reader serves the connection's every read, and a layer of its own would cost each one.
            _lastFromPending = false;
            return inner.ReadAsync(cancellationToken);
        }

        return ReadPendingAsync(cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!Draining)
        {
            _lastFromPending = false;
            return inner.TryRead(out result);
        }

        if (_needMore && !_innerCompleted)
        {
            if (!inner.TryRead(out var more))
            {
                result = default;
                return false;
            }

            Join(more);
        }

        result = new ReadResult(Pending(), isCanceled: false, _innerCompleted);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_lastFromPending)
        {
            inner.AdvanceTo(consumed, examined);
            return;
        }

        var used = (int)_last.Slice(0, consumed).Length;
        _needMore = _last.Slice(0, examined).Length == _last.Length;
        _start += used;
        _lastFromPending = false;
    }

    public override void CancelPendingRead()
    {
        if (Draining && !_needMore)
        {
            _cancelled = true;
        }
        else
        {
            inner.CancelPendingRead();
        }
    }

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private async ValueTask<ReadResult> ReadPendingAsync(CancellationToken cancellationToken)
    {
        if (_cancelled)
        {
            // CancelPendingRead while the prefix drains: this read reports it, as a pipe's would.
            _cancelled = false;
            return new ReadResult(Pending(), isCanceled: true, isCompleted: false);
        }

        if (_needMore && !_innerCompleted)
        {
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                return new ReadResult(Pending(), isCanceled: true, isCompleted: false);
            }

            Join(result);
        }

        return new ReadResult(Pending(), isCanceled: false, _innerCompleted);
    }

    private ReadOnlySequence<byte> Pending()
    {
        _lastFromPending = true;
        _last = new ReadOnlySequence<byte>(_pending, _start, _end - _start);
        return _last;
    }

    /// <summary>Appends what the inner reader has to the prefix's rest and consumes it there.</summary>
    private void Join(ReadResult result)
    {
        var buffer = result.Buffer;
        var length = (int)buffer.Length;
        if (_end + length > _pending.Length)
        {
            var grown = new byte[Math.Max(_pending.Length * 2, _end - _start + length)];
            Buffer.BlockCopy(_pending, _start, grown, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _pending = grown;
        }

        buffer.CopyTo(_pending.AsSpan(_end));
        _end += length;
        inner.AdvanceTo(buffer.End);
        _innerCompleted = result.IsCompleted;
        _needMore = false;
    }
}
