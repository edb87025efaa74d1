using Google.Protobuf;

namespace Outrigger.Grpc.Server;

/// <summary>
/// The response stream of a server- or bidirectional-streaming call. Writes may overlap (they go out in the order they
/// were called); each is flushed unless it has <see cref="WriteFlags.BufferHint"/> or a later write is queued behind it.
/// </summary>
internal sealed class ResponseStreamWriter<T>(ServerCall call) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    public WriteOptions? WriteOptions { get; set; }

    internal ServerCall Call => call;

    public Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var token = cancellationToken.CanBeCanceled ? cancellationToken : call.CancellationToken;
        return call.WriteResponseAsync(message, WriteOptions, flush: true, token);
    }
}
