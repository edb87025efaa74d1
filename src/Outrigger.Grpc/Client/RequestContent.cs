using System.Net;
using System.Net.Http;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Client;

/// <summary>The body of a call with one request message, framed up front.</summary>
internal sealed class UnaryRequestContent : HttpContent
{
    private readonly ReadOnlyMemory<byte> _frame;

    public UnaryRequestContent(ReadOnlyMemory<byte> frame)
    {
        _frame = frame;
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_frame, cancellationToken).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        // No content-length: gRPC bodies are streams of frames.
        length = 0;
        return false;
    }
}

/// <summary>
/// The body of a streaming call: hands the request stream to the writer and stays open until the writer completes
/// (END_STREAM) or the call ends.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamingRequestContent()
    {
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    /// <summary>The request stream, once the handler starts sending the body.</summary>
    public Task<Stream> Stream => _stream.Task;

    /// <summary>Ends the request body (the handler then sends END_STREAM).</summary>
    public void Complete() => _completed.TrySetResult();

    /// <summary>Abandons the body when the call ends first.</summary>
    public void Abort()
    {
        _stream.TrySetCanceled();
        _completed.TrySetResult();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // Send the request headers now: the server may answer (or a duplex server speak first) before the first message.
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        _stream.TrySetResult(stream);
        await _completed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Abort();
        }

        base.Dispose(disposing);
    }
}
