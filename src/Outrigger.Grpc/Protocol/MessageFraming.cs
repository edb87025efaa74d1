using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Outrigger.Grpc.Protocol;

/// <summary>
/// The gRPC length-prefixed message: a 1-byte compressed flag, a 4-byte big-endian length, then the message.
/// Shared by the server (Kestrel's pipes) and the client (a pipe over the response stream).
/// </summary>
internal static class MessageFraming
{
    /// <summary>
    /// Writes <paramref name="message"/> framed to <paramref name="output"/>, gzip-compressed when <paramref name="compress"/>;
    /// returns the bytes written (prefix included). Nothing is written when it throws.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the message is larger than <paramref name="maxSize"/>.</exception>
    public static int Write(IBufferWriter<byte> output, IMessage message, bool compress, int? maxSize)
    {
        var size = message.CalculateSize();
        if (!compress)
        {
            CheckSendSize(size, maxSize);
            WriteHeader(output, compressed: false, size);
            if (size > 0)
            {
                message.WriteTo(output);
            }

            return GrpcProtocol.MessageHeaderSize + size;
        }

        var compressed = Compress(message, size);
        try
        {
            CheckSendSize(compressed.Length, maxSize);
            WriteHeader(output, compressed: true, (int)compressed.Length);
            output.Write(compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
            return GrpcProtocol.MessageHeaderSize + (int)compressed.Length;
        }
        finally
        {
            compressed.Dispose();
        }
    }

    /// <summary>
    /// Tries to take one whole message off the front of <paramref name="buffer"/>. Returns false when more bytes are
    /// needed. Throws <see cref="RpcException"/> for a bad flag or a length above <paramref name="maxSize"/>, as soon as
    /// the 5-byte prefix is in (no need to wait for the body).
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < GrpcProtocol.MessageHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocol.MessageHeaderSize];
        buffer.Slice(0, GrpcProtocol.MessageHeaderSize).CopyTo(header);
        compressed = header[0] switch
        {
            0 => false,
            1 => true,
            _ => throw new RpcException(new Status(StatusCode.Internal, $"Invalid compressed flag {header[0]} in a message prefix (only 0 and 1 are allowed).")),
        };
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxSize})"));
        }

        if (buffer.Length - GrpcProtocol.MessageHeaderSize < length)
        {
            return false;
        }

        payload = buffer.Slice(GrpcProtocol.MessageHeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Parses a payload taken by <see cref="TryReadFrame"/>, decompressing it with <paramref name="encoding"/>.</summary>
    public static T Parse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> payload, bool compressed, string? encoding, int maxSize)
        where T : IMessage<T>
    {
        try
        {
            if (!compressed)
            {
                return parser.ParseFrom(payload);
            }

            if (!string.Equals(encoding, GrpcProtocol.Gzip, StringComparison.OrdinalIgnoreCase))
            {
                throw new RpcException(new Status(StatusCode.Internal, encoding is null or GrpcProtocol.Identity
                    ? "A message has the compressed flag set but the call has no grpc-encoding."
                    : $"Unsupported grpc-encoding '{encoding}'."));
            }

            using var plain = Decompress(payload, maxSize);
            return parser.ParseFrom(plain.GetBuffer().AsSpan(0, (int)plain.Length));
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize the message: " + ex.Message), Metadata.Empty, ex);
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to decompress the message: " + ex.Message), Metadata.Empty, ex);
        }
    }

    /// <summary>
    /// Reads the next message from <paramref name="reader"/>; null at a clean end of stream.
    /// Throws <see cref="RpcException"/> (INTERNAL) when the stream ends inside a message.
    /// </summary>
    public static async ValueTask<(T? Message, bool Compressed)> ReadAsync<T>(
        PipeReader reader, MessageParser<T> parser, string? encoding, int maxSize, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            bool found;
            bool compressed;
            ReadOnlySequence<byte> payload;
            try
            {
                found = TryReadFrame(ref buffer, maxSize, out compressed, out payload);
            }
            catch
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw;
            }

            if (found)
            {
                try
                {
                    return (Parse(parser, payload, compressed, encoding, maxSize), compressed);
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start);
                }
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var remaining = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (remaining == 0 && result.IsCompleted)
                {
                    return (null, false);
                }

                throw new RpcException(new Status(StatusCode.Internal, result.IsCanceled
                    ? "Reading the message stream was cancelled."
                    : $"The stream ended inside a message ({remaining} bytes of an incomplete message)."));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static void WriteHeader(IBufferWriter<byte> output, bool compressed, int length)
    {
        var span = output.GetSpan(GrpcProtocol.MessageHeaderSize);
        span[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        output.Advance(GrpcProtocol.MessageHeaderSize);
    }

    private static void CheckSendSize(long size, int? maxSize)
    {
        if (maxSize is { } max && size > max)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {max})"));
        }
    }

    private static MemoryStream Compress(IMessage message, int size)
    {
        var plain = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            message.WriteTo(plain.AsSpan(0, size));
            var output = new MemoryStream(size / 2 + 32);
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(plain, 0, size);
            }

            return output;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    private static MemoryStream Decompress(in ReadOnlySequence<byte> payload, int maxSize)
    {
        var input = payload.IsSingleSegment ? payload.First : payload.ToArray();
        using var gzip = new GZipStream(new ReadOnlyMemoryStream(input), CompressionMode.Decompress);
        var output = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (output.Length + read > maxSize)
                {
                    output.Dispose();
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max after decompression (more than {maxSize} bytes)."));
                }

                output.Write(chunk, 0, read);
            }

            return output;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
