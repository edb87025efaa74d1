using System.IO.Pipelines;
using System.Net;
using Outrigger.Proxy.AccessLog;

namespace Outrigger.Proxy.Forwarding;

/// <summary>
/// The client's request body as upstream request content, copied from Kestrel's request pipe as it arrives: nothing
/// is buffered beyond what one read returns. Data is flushed upstream whenever the client has nothing more ready,
/// so streaming (gRPC, uploads) flows. The bytes copied are added to the request's access log record, if any. Failures on the client side are remembered so they are not blamed on the upstream.
/// </summary>
internal sealed class StreamingRequestContent(PipeReader source, RequestRecord? record) : HttpContent
{
    /// <summary>Set when reading the client's body failed (bad framing, too large, too slow, client gone).</summary>
    public Exception? ClientError { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var pending = source.ReadAsync(cancellationToken);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await pending.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                ClientError = e;
                throw;
            }

            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            }

            record?.Received(buffer.Length);
            source.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }

            pending = ReadNext(cancellationToken);
            if (!pending.IsCompleted)
            {
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    private ValueTask<ReadResult> ReadNext(CancellationToken cancellationToken)
    {
        try
        {
            return source.ReadAsync(cancellationToken);
        }
        catch (Exception e)
        {
            ClientError = e;
            throw;
        }
    }
}
