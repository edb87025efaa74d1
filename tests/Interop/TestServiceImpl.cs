using Google.Protobuf;
using Grpc.Testing;
using Outrigger.Grpc;
using Outrigger.Grpc.Server;

namespace Outrigger.Interop;

/// <summary>The interop <c>grpc.testing.TestService</c>, as the gRPC interop test descriptions specify the server.</summary>
public sealed class TestServiceImpl(TimeProvider timeProvider)
{
    private const string EchoInitialKey = "x-grpc-test-echo-initial";
    private const string EchoTrailingKey = "x-grpc-test-echo-trailing-bin";

    /// <summary>Registers every method but <c>UnimplementedCall</c> (whose purpose is to be unimplemented).</summary>
    public void Register(GrpcServiceRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddUnary(TestServiceMethods.EmptyCall, (_, _) => Task.FromResult(new Empty()));
        registry.AddUnary(TestServiceMethods.UnaryCall, UnaryCallAsync);
        registry.AddUnary(TestServiceMethods.CacheableUnaryCall, UnaryCallAsync);
        registry.AddServerStreaming(TestServiceMethods.StreamingOutputCall, StreamingOutputCallAsync);
        registry.AddClientStreaming(TestServiceMethods.StreamingInputCall, StreamingInputCallAsync);
        registry.AddDuplexStreaming(TestServiceMethods.FullDuplexCall, FullDuplexCallAsync);
        registry.AddDuplexStreaming(TestServiceMethods.HalfDuplexCall, HalfDuplexCallAsync);
    }

    private static async Task<SimpleResponse> UnaryCallAsync(SimpleRequest request, ServerCallContext context)
    {
        await EchoMetadataAsync(context).ConfigureAwait(false);
        CheckCompression(request.ExpectCompressed, context);
        ThrowIfStatusRequested(request.ResponseStatus);
        context.ResponseCompressionAlgorithm = request.ResponseCompressed?.Value == true ? "gzip" : null;
        return new SimpleResponse { Payload = CreatePayload(request.ResponseSize) };
    }

    private async Task StreamingOutputCallAsync(StreamingOutputCallRequest request, IServerStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        await EchoMetadataAsync(context).ConfigureAwait(false);
        await WriteResponsesAsync(request, responses, context).ConfigureAwait(false);
        ThrowIfStatusRequested(request.ResponseStatus);
    }

    private static async Task<StreamingInputCallResponse> StreamingInputCallAsync(IAsyncStreamReader<StreamingInputCallRequest> requests, ServerCallContext context)
    {
        var total = 0;
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            CheckCompression(requests.Current.ExpectCompressed, context);
            total += requests.Current.Payload?.Body.Length ?? 0;
        }

        return new StreamingInputCallResponse { AggregatedPayloadSize = total };
    }

    private async Task FullDuplexCallAsync(IAsyncStreamReader<StreamingOutputCallRequest> requests, IServerStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        await EchoMetadataAsync(context).ConfigureAwait(false);
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            ThrowIfStatusRequested(requests.Current.ResponseStatus);
            await WriteResponsesAsync(requests.Current, responses, context).ConfigureAwait(false);
        }
    }

    private async Task HalfDuplexCallAsync(IAsyncStreamReader<StreamingOutputCallRequest> requests, IServerStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        var buffered = new List<StreamingOutputCallRequest>();
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            buffered.Add(requests.Current);
        }

        foreach (var request in buffered)
        {
            await WriteResponsesAsync(request, responses, context).ConfigureAwait(false);
        }
    }

    private async Task WriteResponsesAsync(StreamingOutputCallRequest request, IServerStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        foreach (var parameters in request.ResponseParameters)
        {
            if (parameters.IntervalUs > 0)
            {
                await Task.Delay(TimeSpan.FromMicroseconds(parameters.IntervalUs), timeProvider, context.CancellationToken).ConfigureAwait(false);
            }

            if (parameters.Compressed?.Value == true && context.ResponseCompressionAlgorithm is null)
            {
                TryEnableCompression(context);
            }

            responses.WriteOptions = parameters.Compressed?.Value == true ? null : new WriteOptions(WriteFlags.NoCompress);
            await responses.WriteAsync(new StreamingOutputCallResponse { Payload = CreatePayload(parameters.Size) }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private static void TryEnableCompression(ServerCallContext context)
    {
        try
        {
            context.ResponseCompressionAlgorithm = "gzip";
        }
        catch (InvalidOperationException)
        {
            // Headers already sent without compression: later messages stay uncompressed, as the spec allows.
        }
    }

    private static async Task EchoMetadataAsync(ServerCallContext context)
    {
        if (context.RequestHeaders.Get(EchoInitialKey) is { } initial)
        {
            await context.WriteResponseHeadersAsync(new Metadata { initial }).ConfigureAwait(false);
        }

        if (context.RequestHeaders.Get(EchoTrailingKey) is { } trailing)
        {
            context.ResponseTrailers.Add(trailing);
        }
    }

    private static void CheckCompression(BoolValue? expectCompressed, ServerCallContext context)
    {
        var expected = expectCompressed?.Value == true;
        var actual = context.Call.LastRequestCompressed;
        if (expected != actual)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Expected a {(expected ? "compressed" : "uncompressed")} request message but got a {(actual ? "compressed" : "uncompressed")} one."));
        }
    }

    private static void ThrowIfStatusRequested(EchoStatus? status)
    {
        if (status is { Code: not 0 })
        {
            throw new RpcException(new Status((StatusCode)status.Code, status.Message));
        }
    }

    private static Payload CreatePayload(int size) => new() { Type = PayloadType.Compressable, Body = ByteString.CopyFrom(new byte[size]) };
}
