using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Outrigger.Proxy.AccessLog;

namespace Outrigger.Proxy.Upstream;

/// <summary>
/// The client's request body, copied from Kestrel's request pipe as it arrives: nothing is buffered beyond what one read
/// returns, and the destination is flushed whenever the client has nothing more ready, so streaming (gRPC, uploads) flows.
/// The bytes copied are added to the request's access log record, if any; the client's trailers follow the body.
/// A read cancelled through the token (the upstream side gave up) is not the client's error.
/// </summary>
internal sealed class StreamedRequestBody(HttpContext context, RequestRecord? record) : RequestBody
{
    private readonly PipeReader _source = context.Request.BodyReader;
    private IReadOnlyList<KeyValuePair<string, StringValues>> _trailers = [];

    public override long? Length { get; } = context.Request.ContentLength;

    public override bool CanReplay => false;

    public override IReadOnlyList<KeyValuePair<string, StringValues>> Trailers => _trailers;

    public override async Task WriteToAsync(Stream destination, CancellationToken token)
    {
        Started = true;
        var pending = Read(token);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await pending.ConfigureAwait(false);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                ClientError = e;
                throw;
            }

            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                await destination.WriteAsync(segment, token).ConfigureAwait(false);
            }

            record?.Received(buffer.Length);
            _source.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                _trailers = ReadTrailers();
                return;
            }

            pending = Read(token);
            if (!pending.IsCompleted)
            {
                await destination.FlushAsync(token).ConfigureAwait(false);
            }
        }
    }

    private ValueTask<ReadResult> Read(CancellationToken token)
    {
        try
        {
            return _source.ReadAsync(token);
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            ClientError = e;
            throw;
        }
    }

    private List<KeyValuePair<string, StringValues>> ReadTrailers()
    {
        if (context.Features.Get<IHttpRequestTrailersFeature>() is not { Available: true, Trailers: { Count: > 0 } trailers })
        {
            return [];
        }

        var list = new List<KeyValuePair<string, StringValues>>(trailers.Count);
        foreach (var trailer in trailers)
        {
            if (!Forwarding.HopByHop.IsHopByHop(trailer.Key))
            {
                list.Add(trailer);
            }
        }

        return list;
    }
}
