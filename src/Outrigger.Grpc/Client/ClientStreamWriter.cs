using System.Buffers;
using Google.Protobuf;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Client;

/// <summary>
/// The request stream of a client- or bidirectional-streaming call. Messages are framed into one buffer in the order
/// their writes were called and sent by a flush: a write flushes unless it has <see cref="WriteFlags.BufferHint"/> or a
/// later write is queued behind it, so a burst of writes goes out as one HTTP/2 write. <see cref="CompleteAsync"/>
/// flushes what is left and ends the stream.
/// </summary>
internal sealed class ClientStreamWriter<TRequest, TResponse> : IClientStreamWriter<TRequest>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    // A buffer that grew past this for a large message is dropped after its flush rather than kept for the call's life.
    private const int RetainedBufferSize = 4 * WriteCoalescer.MaxUnflushedBytes;

    private readonly ClientCall<TRequest, TResponse> _call;
    private readonly StreamingRequestContent _content;
    private readonly WriteCoalescer _writes;
    private ArrayBufferWriter<byte> _buffer = new(256);

    // Set when CompleteAsync is called (no write may start after it) and when it has its turn (the stream is ended).
    private volatile bool _completing;
    private bool _ended;

    public ClientStreamWriter(ClientCall<TRequest, TResponse> call, StreamingRequestContent content)
    {
        _call = call;
        _content = content;
        _writes = new WriteCoalescer(SendAsync);
    }

    public WriteOptions? WriteOptions { get; set; }

    internal WriteCoalescer Writes => _writes;

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfComplete(_completing);
        _call.ThrowIfFailed();
        var options = WriteOptions;
        await _writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfComplete(_ended);
            _call.ThrowIfFailed();
            var bytes = _call.WriteFrame(_buffer, message, options);
            var hint = ((options?.Flags ?? WriteFlags.None) & WriteFlags.BufferHint) != 0;
            await _writes.CommitAsync(bytes, hint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            await ThrowCallEndedAsync(ex, cancellationToken).ConfigureAwait(false);
            throw;
        }
        finally
        {
            _writes.Exit();
        }
    }

    public async Task CompleteAsync()
    {
        _completing = true;
        await _writes.EnterAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            if (_writes.UnflushedBytes > 0)
            {
                await _writes.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            await ThrowCallEndedAsync(ex, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            _writes.MarkFlushed();
            _content.Complete();
            _writes.Exit();
        }
    }

    /// <summary>Sends the buffer (with the turn held). A send cancelled by a write's own token cancels the call.</summary>
    private async ValueTask SendAsync(CancellationToken cancellationToken)
    {
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _call.CallToken) : null;
        var token = linked?.Token ?? _call.CallToken;
        try
        {
            var stream = await _content.Stream.WaitAsync(token).ConfigureAwait(false);
            await stream.WriteAsync(_buffer.WrittenMemory, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Part of the buffer may be on the wire: the request stream can't go on, so the call ends (RST_STREAM).
            _call.Cancel();
            throw;
        }

        if (_buffer.Capacity > RetainedBufferSize)
        {
            _buffer = new ArrayBufferWriter<byte>(256);
        }
        else
        {
            _buffer.ResetWrittenCount();
        }
    }

    /// <summary>
    /// The request stream closes when the call ends (the server answered, the deadline passed, or it was cancelled):
    /// report the call's status rather than the transport's exception.
    /// </summary>
    private async Task ThrowCallEndedAsync(Exception ex, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        await _call.WaitForResponseHeadersAsync().ConfigureAwait(false);
        _call.ThrowIfFailed(ex);
        throw new InvalidOperationException("Can't write the message: the request stream is closed because the call has ended.", ex);
    }

    private static bool IsTransportFailure(Exception ex) => ex is OperationCanceledException or IOException or ObjectDisposedException;

    private static void ThrowIfComplete(bool complete)
    {
        if (complete)
        {
            throw new InvalidOperationException("The request stream is complete; no more messages can be written.");
        }
    }
}
