using Google.Protobuf;
using Grpc.Testing;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;

namespace Outrigger.Interop;

/// <summary>
/// The interop client test cases, as the gRPC interop test descriptions define them. Each case throws
/// <see cref="InteropFailure"/> (or an unexpected <see cref="RpcException"/>) when the server misbehaves.
/// </summary>
/// <param name="channel">The channel to the server under test.</param>
/// <param name="serverChecksCompression">
/// False for servers that cannot see whether a request was compressed (grpcio, grpc-js): the client_compressed_*
/// cases then skip their probe (an uncompressed message that such a server must reject) and check the rest.
/// </param>
public sealed class InteropClient(GrpcChannel channel, bool serverChecksCompression = true)
{
    public static readonly IReadOnlyList<string> TestCases =
    [
        "empty_unary", "large_unary", "client_compressed_unary", "server_compressed_unary", "client_streaming",
        "client_compressed_streaming", "server_streaming", "server_compressed_streaming", "ping_pong", "empty_stream",
        "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server", "custom_metadata",
        "status_code_and_message", "special_status_message", "unimplemented_method", "unimplemented_service",
    ];

    private const string EchoInitialKey = "x-grpc-test-echo-initial";
    private const string EchoTrailingKey = "x-grpc-test-echo-trailing-bin";
    private const string SpecialMessage = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \U0001F608\t\n";

    public Task RunAsync(string testCase) => testCase switch
    {
        "empty_unary" => EmptyUnaryAsync(),
        "large_unary" => LargeUnaryAsync(),
        "client_compressed_unary" => ClientCompressedUnaryAsync(),
        "server_compressed_unary" => ServerCompressedUnaryAsync(),
        "client_streaming" => ClientStreamingAsync(),
        "client_compressed_streaming" => ClientCompressedStreamingAsync(),
        "server_streaming" => ServerStreamingAsync(),
        "server_compressed_streaming" => ServerCompressedStreamingAsync(),
        "ping_pong" => PingPongAsync(),
        "empty_stream" => EmptyStreamAsync(),
        "cancel_after_begin" => CancelAfterBeginAsync(),
        "cancel_after_first_response" => CancelAfterFirstResponseAsync(),
        "timeout_on_sleeping_server" => TimeoutOnSleepingServerAsync(),
        "custom_metadata" => CustomMetadataAsync(),
        "status_code_and_message" => StatusCodeAndMessageAsync(),
        "special_status_message" => SpecialStatusMessageAsync(),
        "unimplemented_method" => UnimplementedAsync(TestServiceMethods.UnimplementedCall),
        "unimplemented_service" => UnimplementedAsync(TestServiceMethods.UnimplementedServiceCall),
        _ => throw new ArgumentException($"Unknown test case '{testCase}'. Known: {string.Join(", ", TestCases)}."),
    };

    private async Task EmptyUnaryAsync()
    {
        var response = await channel.AsyncUnaryCall(TestServiceMethods.EmptyCall, new Empty());
        Check(response is not null, "EmptyCall returned no message");
    }

    private async Task LargeUnaryAsync()
    {
        var response = await channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, LargeRequest());
        CheckPayload(response.Payload, 314159);
    }

    private async Task ClientCompressedUnaryAsync()
    {
        var probe = new SimpleRequest { ExpectCompressed = new BoolValue { Value = true }, ResponseSize = 314159, Payload = Payload(271828) };
        if (serverChecksCompression)
        {
            await ExpectStatusAsync(StatusCode.InvalidArgument, () => channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, probe).ResponseAsync);
        }

        var compressed = await channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, probe, new CallOptions { CompressionAlgorithm = "gzip" });
        CheckPayload(compressed.Payload, 314159);
        var plain = new SimpleRequest { ExpectCompressed = new BoolValue { Value = false }, ResponseSize = 314159, Payload = Payload(271828) };
        CheckPayload((await channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, plain)).Payload, 314159);
    }

    private async Task ServerCompressedUnaryAsync()
    {
        foreach (var compressed in new[] { true, false })
        {
            var request = new SimpleRequest { ResponseCompressed = new BoolValue { Value = compressed }, ResponseSize = 314159, Payload = Payload(271828) };
            CheckPayload((await channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, request)).Payload, 314159);
        }
    }

    private async Task ClientStreamingAsync()
    {
        using var call = channel.AsyncClientStreamingCall(TestServiceMethods.StreamingInputCall);
        foreach (var size in new[] { 27182, 8, 1828, 45904 })
        {
            await call.RequestStream.WriteAsync(new StreamingInputCallRequest { Payload = Payload(size) });
        }

        await call.RequestStream.CompleteAsync();
        var response = await call;
        Check(response.AggregatedPayloadSize == 74922, $"aggregated_payload_size {response.AggregatedPayloadSize}, expected 74922");
    }

    private async Task ClientCompressedStreamingAsync()
    {
        if (serverChecksCompression)
        {
            using var probe = channel.AsyncClientStreamingCall(TestServiceMethods.StreamingInputCall);
            await probe.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = true }, Payload = Payload(27182) });
            await probe.RequestStream.CompleteAsync();
            await ExpectStatusAsync(StatusCode.InvalidArgument, () => probe.ResponseAsync);
        }

        using var call = channel.AsyncClientStreamingCall(TestServiceMethods.StreamingInputCall, new CallOptions { CompressionAlgorithm = "gzip" });
        await call.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = true }, Payload = Payload(27182) });
        call.RequestStream.WriteOptions = new WriteOptions(WriteFlags.NoCompress);
        await call.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = false }, Payload = Payload(45904) });
        await call.RequestStream.CompleteAsync();
        var response = await call;
        Check(response.AggregatedPayloadSize == 73086, $"aggregated_payload_size {response.AggregatedPayloadSize}, expected 73086");
    }

    private async Task ServerStreamingAsync()
    {
        var sizes = new[] { 31415, 9, 2653, 58979 };
        var request = new StreamingOutputCallRequest();
        foreach (var size in sizes)
        {
            request.ResponseParameters.Add(new ResponseParameters { Size = size });
        }

        await CheckStreamAsync(request, sizes);
    }

    private async Task ServerCompressedStreamingAsync()
    {
        var request = new StreamingOutputCallRequest();
        request.ResponseParameters.Add(new ResponseParameters { Compressed = new BoolValue { Value = true }, Size = 31415 });
        request.ResponseParameters.Add(new ResponseParameters { Compressed = new BoolValue { Value = false }, Size = 92653 });
        await CheckStreamAsync(request, [31415, 92653]);
    }

    private async Task PingPongAsync()
    {
        using var call = channel.AsyncDuplexStreamingCall(TestServiceMethods.FullDuplexCall);
        foreach (var (responseSize, requestSize) in new[] { (31415, 27182), (9, 8), (2653, 1828), (58979, 45904) })
        {
            await call.RequestStream.WriteAsync(DuplexRequest(responseSize, requestSize));
            Check(await call.ResponseStream.MoveNext(), "the response stream ended early");
            CheckPayload(call.ResponseStream.Current.Payload, responseSize);
        }

        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext(), "the response stream has more messages than requests");
    }

    private async Task EmptyStreamAsync()
    {
        using var call = channel.AsyncDuplexStreamingCall(TestServiceMethods.FullDuplexCall);
        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext(), "an empty request stream got responses");
    }

    private async Task CancelAfterBeginAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.AsyncClientStreamingCall(TestServiceMethods.StreamingInputCall, new CallOptions(CancellationToken: cts.Token));
        await cts.CancelAsync();
        await ExpectStatusAsync(StatusCode.Cancelled, () => call.ResponseAsync);
    }

    private async Task CancelAfterFirstResponseAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.AsyncDuplexStreamingCall(TestServiceMethods.FullDuplexCall, new CallOptions(CancellationToken: cts.Token));
        await call.RequestStream.WriteAsync(DuplexRequest(31415, 27182));
        Check(await call.ResponseStream.MoveNext(), "no first response");
        await cts.CancelAsync();
        await ExpectStatusAsync(StatusCode.Cancelled, () => call.ResponseStream.MoveNext());
    }

    private async Task TimeoutOnSleepingServerAsync()
    {
        using var call = channel.AsyncDuplexStreamingCall(TestServiceMethods.FullDuplexCall, new CallOptions { Timeout = TimeSpan.FromMilliseconds(1) });
        try
        {
            await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { Payload = Payload(27182) });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            // The deadline may pass before the write; the spec allows it.
        }

        await ExpectStatusAsync(StatusCode.DeadlineExceeded, () => call.ResponseStream.MoveNext());
    }

    private async Task CustomMetadataAsync()
    {
        var trailingValue = new byte[] { 0xab, 0xab, 0xab };
        var metadata = new Metadata().Add(EchoInitialKey, "test_initial_metadata_value").Add(EchoTrailingKey, trailingValue);
        using (var unary = channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, LargeRequest(), new CallOptions(metadata)))
        {
            CheckPayload((await unary).Payload, 314159);
            await CheckEchoedMetadataAsync(await unary.ResponseHeadersAsync, unary.GetTrailers(), trailingValue);
        }

        using var duplex = channel.AsyncDuplexStreamingCall(TestServiceMethods.FullDuplexCall, new CallOptions(metadata));
        await duplex.RequestStream.WriteAsync(DuplexRequest(314159, 271828));
        await duplex.RequestStream.CompleteAsync();
        Check(await duplex.ResponseStream.MoveNext(), "no response");
        CheckPayload(duplex.ResponseStream.Current.Payload, 314159);
        Check(!await duplex.ResponseStream.MoveNext(), "more than one response");
        await CheckEchoedMetadataAsync(await duplex.ResponseHeadersAsync, duplex.GetTrailers(), trailingValue);
    }

    private Task StatusCodeAndMessageAsync() => CheckEchoedStatusAsync("test status message");

    private Task SpecialStatusMessageAsync() => CheckEchoedStatusAsync(SpecialMessage);

    private async Task CheckEchoedStatusAsync(string message)
    {
        var status = new EchoStatus { Code = 2, Message = message };
        var unary = await ExpectStatusAsync(StatusCode.Unknown, () => channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseStatus = status }).ResponseAsync);
        Check(unary.Status.Detail == message, $"unary status message '{unary.Status.Detail}', expected '{message}'");
        if (message != "test status message")
        {
            return;
        }

        using var duplex = channel.AsyncDuplexStreamingCall(TestServiceMethods.FullDuplexCall);
        await duplex.RequestStream.WriteAsync(new StreamingOutputCallRequest { ResponseStatus = status });
        await duplex.RequestStream.CompleteAsync();
        var streamed = await ExpectStatusAsync(StatusCode.Unknown, () => duplex.ResponseStream.MoveNext());
        Check(streamed.Status.Detail == message, $"streaming status message '{streamed.Status.Detail}', expected '{message}'");
    }

    private async Task UnimplementedAsync(Method<Empty, Empty> method) =>
        await ExpectStatusAsync(StatusCode.Unimplemented, () => channel.AsyncUnaryCall(method, new Empty()).ResponseAsync);

    private async Task CheckStreamAsync(StreamingOutputCallRequest request, int[] sizes)
    {
        using var call = channel.AsyncServerStreamingCall(TestServiceMethods.StreamingOutputCall, request);
        var index = 0;
        while (await call.ResponseStream.MoveNext())
        {
            Check(index < sizes.Length, "more responses than requested");
            CheckPayload(call.ResponseStream.Current.Payload, sizes[index++]);
        }

        Check(index == sizes.Length, $"{index} responses, expected {sizes.Length}");
        Check(call.GetStatus().StatusCode == StatusCode.OK, $"status {call.GetStatus()}");
    }

    private static async Task CheckEchoedMetadataAsync(Metadata headers, Metadata trailers, byte[] trailingValue)
    {
        await Task.CompletedTask;
        Check(headers.GetValue(EchoInitialKey) == "test_initial_metadata_value", $"initial metadata echo missing or wrong: '{headers.Get(EchoInitialKey)}'");
        Check(trailers.GetValueBytes(EchoTrailingKey) is { } bytes && bytes.AsSpan().SequenceEqual(trailingValue), "trailing binary metadata echo missing or wrong");
    }

    private static async Task<RpcException> ExpectStatusAsync(StatusCode expected, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (RpcException ex) when (ex.StatusCode == expected)
        {
            return ex;
        }
        catch (RpcException ex)
        {
            throw new InteropFailure($"expected status {expected}, got {ex.Status}");
        }

        throw new InteropFailure($"expected status {expected}, but the call succeeded");
    }

    private static SimpleRequest LargeRequest() => new() { ResponseSize = 314159, Payload = Payload(271828) };

    private static StreamingOutputCallRequest DuplexRequest(int responseSize, int requestSize)
    {
        var request = new StreamingOutputCallRequest { Payload = Payload(requestSize) };
        request.ResponseParameters.Add(new ResponseParameters { Size = responseSize });
        return request;
    }

    private static Payload Payload(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };

    private static void CheckPayload(Payload? payload, int size)
    {
        Check(payload is not null, "response has no payload");
        Check(payload!.Body.Length == size, $"payload of {payload.Body.Length} bytes, expected {size}");
        Check(payload.Body.Span.IndexOfAnyExcept((byte)0) < 0, "payload is not all zeros");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InteropFailure(message);
        }
    }
}

/// <summary>An interop test case found the peer misbehaving.</summary>
public sealed class InteropFailure(string message) : Exception(message)
{
    public InteropFailure()
        : this("interop check failed")
    {
    }

    public InteropFailure(string message, Exception inner)
        : this(message + ": " + inner.Message)
    {
    }
}
