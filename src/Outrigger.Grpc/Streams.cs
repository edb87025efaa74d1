namespace Outrigger.Grpc;

/// <summary>Reads a stream of messages: call <see cref="MoveNext"/> until it returns false, reading <see cref="Current"/>.</summary>
public interface IAsyncStreamReader<out T>
{
    T Current { get; }

    /// <summary>Advances to the next message; false at the end of the stream. Throws <see cref="RpcException"/> when the call fails.</summary>
    Task<bool> MoveNext(CancellationToken cancellationToken = default);
}

/// <summary>
/// Writes a stream of messages. Writes may overlap: they are sent in the order <see cref="WriteAsync"/> was called, and
/// a burst of them is coalesced into one transport write (see docs/grpc.md, "Write coalescing").
/// </summary>
public interface IAsyncStreamWriter<in T>
{
    /// <summary>
    /// Options for the following writes (<see cref="WriteFlags.BufferHint"/>, <see cref="WriteFlags.NoCompress"/>); read
    /// when <see cref="WriteAsync"/> is called. Default null (none).
    /// </summary>
    WriteOptions? WriteOptions { get; set; }

    /// <summary>
    /// Frames <paramref name="message"/> after the writes called before it and flushes it, unless it has
    /// <see cref="WriteFlags.BufferHint"/> or another write is already queued behind it (which then flushes both). The
    /// task completes once the message is flushed or left to a later flush; it waits while the peer reads slowly.
    /// Cancelled before its turn, the message is not sent; cancelled while it is being sent, the call is cancelled
    /// (client) or the message stays buffered for the next flush (server).
    /// </summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>The server's response stream.</summary>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>
{
}

/// <summary>The client's request stream; <see cref="CompleteAsync"/> half-closes it.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>
    /// Half-closes the request stream after the writes called before it, flushing whatever they buffered; writes called
    /// after it throw <see cref="InvalidOperationException"/>.
    /// </summary>
    Task CompleteAsync();
}

[Flags]
public enum WriteFlags
{
    None = 0,

    /// <summary>
    /// Frame this message but don't flush it: it goes out with the next write without the hint, at completion, or once
    /// <c>64 KiB</c> are buffered. For writing a known burst (a drained queue) in one transport write.
    /// </summary>
    BufferHint = 0x1,

    /// <summary>Send this message uncompressed even when the call compresses.</summary>
    NoCompress = 0x2,
}

/// <summary>Per-message write options.</summary>
public sealed record WriteOptions(WriteFlags Flags = WriteFlags.None);

public static class AsyncStreamReaderExtensions
{
    /// <summary>Enumerates the remaining messages of <paramref name="reader"/>.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(
        this IAsyncStreamReader<T> reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (await reader.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.Current;
        }
    }
}
