using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Primitives;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// The stream a <see cref="RequestBody"/> writes into: counts a body of known length against its <c>Content-Length</c>, or
/// frames each write as one chunk (one send per write, at most 16 KiB of data each) and ends with the last chunk and the
/// body's trailers. Writes go out at once, so flushing has nothing to do.
/// </summary>
internal sealed class Http1BodyWriter(Http1Connection connection, long? length) : Stream
{
    private const int MaxChunkData = 16 * 1024;
    private const int MaxChunkHead = 18;

    private long _remaining = length ?? 0;
    private byte[]? _frame;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (length is null)
        {
            return buffer.Length == 0 ? ValueTask.CompletedTask : WriteChunksAsync(buffer, cancellationToken);
        }

        if (buffer.Length > _remaining)
        {
            throw new InvalidOperationException($"The request body is longer than its Content-Length ({length} bytes).");
        }

        _remaining -= buffer.Length;
        return connection.WriteBodyAsync(buffer, _remaining == 0, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Ends the body: checks a known length was met, or sends the last chunk and <paramref name="trailers"/>.</summary>
    public async ValueTask CompleteAsync(IReadOnlyList<KeyValuePair<string, StringValues>> trailers, CancellationToken token)
    {
        if (length is not null)
        {
            if (_remaining > 0)
            {
                throw new InvalidOperationException($"The request body ended {_remaining} bytes short of its Content-Length ({length} bytes).");
            }

            return;
        }

        var size = 5;
        foreach (var (name, values) in trailers)
        {
            size += Http1RequestHead.FieldLength(name, values);
        }

        var frame = Frame(size);
        var at = Copy("0\r\n"u8, frame);
        foreach (var (name, values) in trailers)
        {
            at += Http1RequestHead.Field(name, values, frame.AsSpan(at));
        }

        at += Copy("\r\n"u8, frame.AsSpan(at));
        await connection.WriteBodyAsync(frame.AsMemory(0, at), last: true, token).ConfigureAwait(false);
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The request body is written asynchronously.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_frame is { } frame)
        {
            _frame = null;
            ArrayPool<byte>.Shared.Return(frame);
        }

        base.Dispose(disposing);
    }

    private static int Copy(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteChunksAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (data.Length > 0)
        {
            var count = Math.Min(data.Length, MaxChunkData);
            var frame = Frame(MaxChunkHead + MaxChunkData + 2);
            count.TryFormat(frame, out var at, "x", CultureInfo.InvariantCulture);
            at += Copy("\r\n"u8, frame.AsSpan(at));
            data.Span[..count].CopyTo(frame.AsSpan(at));
            at += count;
            at += Copy("\r\n"u8, frame.AsSpan(at));
            await connection.WriteBodyAsync(frame.AsMemory(0, at), last: false, token).ConfigureAwait(false);
            data = data[count..];
        }
    }

    private byte[] Frame(int size)
    {
        if (_frame is { } frame && frame.Length >= size)
        {
            return frame;
        }

        if (_frame is not null)
        {
            ArrayPool<byte>.Shared.Return(_frame);
        }

        return _frame = ArrayPool<byte>.Shared.Rent(Math.Max(size, MaxChunkHead + MaxChunkData + 2));
    }
}
