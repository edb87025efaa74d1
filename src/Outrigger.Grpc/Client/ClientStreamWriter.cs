using System.Buffers;
using Google.Protobuf;

namespace Outrigger.Grpc.Client;

/// <summary>The request stream of a client- or bidirectional-streaming call; each write is flushed to the server.</summary>
internal sealed class ClientStreamWriter<TRequest, TResponse>(ClientCall<TRequest, TResponse> call, StreamingRequestContent content) : IClientStreamWriter<TRequest>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private bool _completed;

    public WriteOptions? WriteOptions { get; set; }

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_completed)
        {
            throw new InvalidOperationException("The request stream is complete; no more messages can be written.");
        }

        call.ThrowIfFailed();
        _buffer.ResetWrittenCount();
        call.WriteFrame(_buffer, message, WriteOptions);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CallToken);
            var stream = await content.Stream.WaitAsync(linked.Token).ConfigureAwait(false);
            await stream.WriteAsync(_buffer.WrittenMemory, linked.Token).ConfigureAwait(false);
            await stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            // The request stream closes when the call ends (the server answered, the deadline passed, or it was
            // cancelled): report the call's status rather than the transport's exception.
            await call.WaitForResponseHeadersAsync().ConfigureAwait(false);
            call.ThrowIfFailed(ex);
            throw new InvalidOperationException("Can't write the message: the request stream is closed because the call has ended.", ex);
        }
    }

    public Task CompleteAsync()
    {
        _completed = true;
        content.Complete();
        return Task.CompletedTask;
    }
}
