namespace Outrigger.Grpc;

/// <summary>Reads a stream of messages: call <see cref="MoveNext"/> until it returns false, reading <see cref="Current"/>.</summary>
public interface IAsyncStreamReader<out T>
{
    T Current { get; }

    /// <summary>Advances to the next message; false at the end of the stream. Throws <see cref="RpcException"/> when the call fails.</summary>
    Task<bool> MoveNext(CancellationToken cancellationToken = default);
}

/// <summary>Writes a stream of messages, one write at a time (await each before the next).</summary>
public interface IAsyncStreamWriter<in T>
{
    /// <summary>Options for the following writes (e.g. <see cref="WriteFlags.NoCompress"/>).</summary>
    WriteOptions? WriteOptions { get; set; }

    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>The server's response stream.</summary>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>
{
}

/// <summary>The client's request stream; <see cref="CompleteAsync"/> half-closes it.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    Task CompleteAsync();
}

[Flags]
public enum WriteFlags
{
    None = 0,

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
