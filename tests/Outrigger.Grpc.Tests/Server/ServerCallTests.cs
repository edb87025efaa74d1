using System.Diagnostics;
using Grpc.Testing;
using Outrigger.Grpc.Client;
using Outrigger.Grpc.Server;
using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Server;

/// <summary>Server behaviour through the protocol: deadlines, errors, limits, metadata.</summary>
public sealed class ServerCallTests
{
    private static readonly Method<Empty, Empty> Sleep = new(MethodType.Unary, "test.Svc", "Sleep", Empty.Parser, Empty.Parser);
    private static readonly Method<SimpleRequest, SimpleResponse> Echo = new(MethodType.Unary, "test.Svc", "Echo", SimpleRequest.Parser, SimpleResponse.Parser);

    private static readonly Method<StreamingInputCallRequest, StreamingInputCallResponse> Upload =
        new(MethodType.ClientStreaming, "test.Svc", "Upload", StreamingInputCallRequest.Parser, StreamingInputCallResponse.Parser);

    [Fact]
    public async Task ClientStream_LongerThanKestrelsBodyLimit_IsNotCutOff()
    {
        const int Count = 40; // 40 MB: Kestrel's default MaxRequestBodySize is 30 MB
        await using var server = await TestServer.StartAsync(r => r.AddClientStreaming(Upload, async (requests, _) =>
        {
            var total = 0;
            while (await requests.MoveNext())
            {
                total += requests.Current.Payload.Body.Length;
            }

            return new StreamingInputCallResponse { AggregatedPayloadSize = total };
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(Upload);

        for (var i = 0; i < Count; i++)
        {
            await call.RequestStream.WriteAsync(new StreamingInputCallRequest { Payload = new Payload { Body = Google.Protobuf.ByteString.CopyFrom(new byte[1024 * 1024]) } });
        }

        await call.RequestStream.CompleteAsync();
        Assert.Equal(Count * 1024 * 1024, (await call.ResponseAsync).AggregatedPayloadSize);
    }

    [Fact]
    public async Task Deadline_HandlerIgnoresToken_ClientGetsDeadlineExceededPromptly()
    {
        var release = new TaskCompletionSource();
        await using var server = await TestServer.StartAsync(r => r.AddUnary(Sleep, async (_, _) =>
        {
            await release.Task; // ignores the call's token on purpose
            return new Empty();
        }));
        using var channel = server.CreateChannel();
        var timer = Stopwatch.StartNew();

        // The client gets no deadline of its own: the answer must come from the server's grpc-timeout handling.
        var response = await RawHttp.SendAsync(server.Address, Sleep.FullName, RawHttp.Prefix(0, 0), headers: ("grpc-timeout", "200m"));

        Assert.Equal("4", response.GrpcStatus);
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(10), $"took {timer.Elapsed}");
        release.SetResult();
    }

    [Fact]
    public async Task Deadline_HandlerObservesToken_TokenFiresAndStatusIsDeadlineExceeded()
    {
        var cancelled = new TaskCompletionSource<bool>();
        await using var server = await TestServer.StartAsync(r => r.AddUnary(Sleep, async (_, context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult(true);
                throw;
            }

            return new Empty();
        }));
        using var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(Sleep, new Empty(), new CallOptions { Timeout = TimeSpan.FromMilliseconds(100) }).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ClientCancellation_HandlerTokenFires()
    {
        var started = new TaskCompletionSource();
        var observed = new TaskCompletionSource();
        await using var server = await TestServer.StartAsync(r => r.AddUnary(Sleep, async (_, context) =>
        {
            context.CancellationToken.Register(() => observed.TrySetResult());
            started.SetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Empty();
        }));
        using var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();
        var call = channel.AsyncUnaryCall(Sleep, new Empty(), new CallOptions(CancellationToken: cts.Token));

        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();

        Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync)).StatusCode);
        await observed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task HandlerException_AnswersUnknownWithoutDetails()
    {
        await using var server = await TestServer.StartAsync(r => r.AddUnary(Sleep, (_, _) => throw new InvalidOperationException("secret")));
        using var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(Sleep, new Empty()).ResponseAsync);

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RpcExceptionWithTrailers_TrailersReachClient()
    {
        await using var server = await TestServer.StartAsync(r => r.AddUnary(Sleep, (_, _) =>
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "nope"), new Metadata().Add("why-bin", [0, 1, 2]).Add("hint", "retry later"))));
        using var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(Sleep, new Empty()).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("nope", ex.Status.Detail);
        Assert.Equal(new byte[] { 0, 1, 2 }, ex.Trailers.GetValueBytes("why-bin"));
        Assert.Equal("retry later", ex.Trailers.GetValue("hint"));
    }

    [Fact]
    public async Task MaxSendMessageSize_LargerResponse_ResourceExhausted()
    {
        await using var server = await TestServer.StartAsync(
            r => new TestServiceImpl(TimeProvider.System).Register(r), new GrpcServerOptions { MaxSendMessageSize = 100 });
        using var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseSize = 1000 }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task ClientMaxReceiveMessageSize_LargerResponse_ResourceExhausted()
    {
        await using var server = await TestServer.StartInteropAsync();
        using var channel = server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 100 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseSize = 1000 }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task GzipBomb_DecompressedAboveLimit_ResourceExhausted()
    {
        await using var server = await TestServer.StartAsync(
            r => new TestServiceImpl(TimeProvider.System).Register(r), new GrpcServerOptions { MaxReceiveMessageSize = 64 * 1024 });
        using var channel = server.CreateChannel(new GrpcChannelOptions { CompressionAlgorithm = "gzip" });
        var request = new SimpleRequest { Payload = new Payload { Body = Google.Protobuf.ByteString.CopyFrom(new byte[1024 * 1024]) } };

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, request).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Metadata_AsciiAndBinary_RoundTripToHandler()
    {
        Metadata? seen = null;
        await using var server = await TestServer.StartAsync(r => r.AddUnary(Echo, (request, context) =>
        {
            seen = context.RequestHeaders;
            return Task.FromResult(new SimpleResponse());
        }));
        using var channel = server.CreateChannel();
        var binary = new byte[] { 0, 0xff, 0x10, 0x20 };

        await channel.AsyncUnaryCall(Echo, new SimpleRequest(), new CallOptions(new Metadata().Add("x-text", "hello world").Add("x-data-bin", binary)));

        Assert.NotNull(seen);
        Assert.Equal("hello world", seen!.GetValue("x-text"));
        Assert.Equal(binary, seen.GetValueBytes("x-data-bin"));
        Assert.Null(seen.Get("grpc-accept-encoding"));
    }

    [Fact]
    public async Task ManyConcurrentCalls_OneChannel_AllSucceed()
    {
        await using var server = await TestServer.StartInteropAsync();
        using var channel = server.CreateChannel();

        var calls = Enumerable.Range(0, 200).Select(i => channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseSize = i }).ResponseAsync);
        var responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 200), responses.Select(r => r.Payload.Body.Length));
    }
}
