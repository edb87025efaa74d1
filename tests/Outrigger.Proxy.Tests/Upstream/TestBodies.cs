using System.Threading.Channels;
using Microsoft.Extensions.Primitives;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary>A buffered body that can be sent again (what retries use), with optional trailers.</summary>
internal sealed class BufferedBody(byte[] data, bool announceLength = true, IReadOnlyList<KeyValuePair<string, StringValues>>? trailers = null) : RequestBody
{
    private int _writes;

    public override long? Length => announceLength ? data.Length : null;

    public override bool CanReplay => true;

    public int Writes => Volatile.Read(ref _writes);

    public override IReadOnlyList<KeyValuePair<string, StringValues>> Trailers => trailers ?? [];

    public override async Task WriteToAsync(Stream destination, CancellationToken token)
    {
        Started = true;
        Interlocked.Increment(ref _writes);
        await destination.WriteAsync(data, token);
    }
}

/// <summary>
/// A body streamed from pieces the test supplies as it goes (like a client uploading slowly); sent once. Completing the
/// channel ends it; <see cref="Fail"/> makes the client's side break.
/// </summary>
internal sealed class StreamedBody(long? length = null, IReadOnlyList<KeyValuePair<string, StringValues>>? trailers = null) : RequestBody
{
    private readonly Channel<byte[]> _pieces = Channel.CreateUnbounded<byte[]>();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override long? Length => length;

    public override bool CanReplay => false;

    public override IReadOnlyList<KeyValuePair<string, StringValues>> Trailers => trailers ?? [];

    /// <summary>Completes when the client started reading the body.</summary>
    public Task WhenStarted => _started.Task;

    /// <summary>Completes when <see cref="WriteToAsync"/> returned or threw.</summary>
    public Task WhenEnded => _ended.Task;

    public void Write(string text) => _pieces.Writer.TryWrite(System.Text.Encoding.ASCII.GetBytes(text));

    public void Write(byte[] bytes) => _pieces.Writer.TryWrite(bytes);

    public void End() => _pieces.Writer.TryComplete();

    public void Fail(string why) => _pieces.Writer.TryComplete(new IOException(why));

    public override async Task WriteToAsync(Stream destination, CancellationToken token)
    {
        Started = true;
        _started.TrySetResult();
        try
        {
            await foreach (var piece in _pieces.Reader.ReadAllAsync(token))
            {
                await destination.WriteAsync(piece, token);
                await destination.FlushAsync(token);
            }
        }
        catch (IOException ex)
        {
            ClientError = ex;
            throw;
        }
        finally
        {
            _ended.TrySetResult();
        }
    }
}

/// <summary>
/// A body that writes its first bytes and then waits for more that never come; cancelling it resumes it synchronously
/// inside <see cref="CancellationTokenSource.Cancel()"/> (as a pipe reader can), and it records that as a client error.
/// </summary>
internal sealed class WaitingBody : RequestBody
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override long? Length => null;

    public override bool CanReplay => false;

    public Task WhenEnded => _ended.Task;

    public override async Task WriteToAsync(Stream destination, CancellationToken token)
    {
        Started = true;
        try
        {
            await destination.WriteAsync("some"u8.ToArray(), token);
            var never = new TaskCompletionSource();
            using (token.Register(() => never.TrySetCanceled(token)))
            {
                await never.Task;
            }
        }
        catch (Exception e)
        {
            ClientError = e;
            throw;
        }
        finally
        {
            _ended.TrySetResult();
        }
    }
}
