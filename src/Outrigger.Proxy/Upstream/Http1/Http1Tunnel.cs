namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// An upgraded connection as a byte stream both ways: reads first deliver what the connection had already buffered
/// past the 101 head. Disposing it closes the connection.
/// </summary>
internal sealed class Http1Tunnel(Http1Connection connection, Stream stream) : Stream
{
    private int _disposed;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var buffered = connection.Buffered;
        if (buffered.Length == 0 || buffer.Length == 0)
        {
            return stream.ReadAsync(buffer, cancellationToken);
        }

        var count = Math.Min(buffered.Length, buffer.Length);
        buffered[..count].CopyTo(buffer.Span);
        connection.Consume(count);
        return new(count);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var buffered = connection.Buffered;
        if (buffered.Length == 0 || buffer.Length == 0)
        {
            return stream.Read(buffer);
        }

        var count = Math.Min(buffered.Length, buffer.Length);
        buffered[..count].CopyTo(buffer);
        connection.Consume(count);
        return count;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        stream.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        stream.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => stream.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => stream.Write(buffer);

    public override void Flush() => stream.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => stream.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            connection.CloseTunnel();
        }

        base.Dispose(disposing);
    }
}
