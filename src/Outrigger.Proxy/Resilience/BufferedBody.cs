using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Resilience;

/// <summary>A request body read in full into a pooled buffer, so each attempt can send it again.</summary>
internal sealed class BufferedBody : IDisposable
{
    private byte[]? _buffer;

    private BufferedBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    /// <summary>
    /// Reads exactly <paramref name="contentLength"/> bytes (the request's Content-Length). Throws what reading the client's body
    /// throws (<see cref="BadHttpRequestException"/> for a bad or short body, cancellation when the client goes away).
    /// </summary>
    public static async Task<BufferedBody> ReadAsync(PipeReader reader, int contentLength, CancellationToken token)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(contentLength, 1));
        var length = 0;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(token).ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    var take = Math.Min(segment.Length, contentLength - length);
                    segment.Span[..take].CopyTo(buffer.AsSpan(length));
                    length += take;
                }

                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return new BufferedBody(buffer, length);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>The body to send with one attempt.</summary>
    public RequestBody ForAttempt() => new Replay(_buffer ?? throw new ObjectDisposedException(nameof(BufferedBody)), Length);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class Replay(byte[] buffer, int length) : RequestBody
    {
        public override long? Length => length;

        public override bool CanReplay => true;

        public override async Task WriteToAsync(Stream destination, CancellationToken token)
        {
            Started = true;
            await destination.WriteAsync(buffer.AsMemory(0, length), token).ConfigureAwait(false);
        }
    }
}
