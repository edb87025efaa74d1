using System.Threading.Channels;

namespace Outrigger.Grpc;

public static class StreamWriterExtensions
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>
    /// Writes every message <paramref name="messages"/> yields until it completes. A message with more queued behind it
    /// is only framed (<see cref="WriteFlags.BufferHint"/>): the last of a burst flushes them all in one transport write.
    /// </summary>
    public static async Task WriteAllAsync<T>(this IAsyncStreamWriter<T> writer, ChannelReader<T> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(messages);
        while (await messages.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (messages.TryRead(out var message))
            {
                writer.WriteOptions = messages.TryPeek(out _) ? Buffered : null;
                await writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
