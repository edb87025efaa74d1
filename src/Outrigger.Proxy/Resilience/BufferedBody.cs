using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

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

    public HttpContent CreateContent() => new ByteArrayContent(_buffer ?? throw new ObjectDisposedException(nameof(BufferedBody)), 0, Length);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
