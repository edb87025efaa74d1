using Google.Protobuf;

namespace Outrigger.Grpc.Server;

/// <summary>The response stream of a server- or bidirectional-streaming call; each write is flushed.</summary>
internal sealed class ResponseStreamWriter<T>(ServerCall call) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var token = cancellationToken.CanBeCanceled ? cancellationToken : call.CancellationToken;
        return call.WriteResponseAsync(message, WriteOptions, flush: true, token);
    }
}
