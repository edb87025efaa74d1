using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Testing;

namespace Outrigger.Grpc.Tests;

/// <summary>Messages that carry a sequence number (in the first 4 bytes of their payload), for ordering tests.</summary>
internal static class NumberedMessages
{
    public const string Service = "test.Writes";

    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> ServerStream =
        new(MethodType.ServerStreaming, Service, "ServerStream", StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);

    public static readonly Method<StreamingInputCallRequest, StreamingInputCallResponse> ClientStream =
        new(MethodType.ClientStreaming, Service, "ClientStream", StreamingInputCallRequest.Parser, StreamingInputCallResponse.Parser);

    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> Duplex =
        new(MethodType.DuplexStreaming, Service, "Duplex", StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);

    public static Payload Payload(int number, int size = 4)
    {
        var body = new byte[Math.Max(size, 4)];
        BinaryPrimitives.WriteInt32BigEndian(body, number);
        return new Payload { Body = UnsafeByteOperations.UnsafeWrap(body) };
    }

    public static int Number(Payload payload) => BinaryPrimitives.ReadInt32BigEndian(payload.Body.Span);

    public static StreamingOutputCallResponse Response(int number, int size = 4) => new() { Payload = Payload(number, size) };

    public static StreamingInputCallRequest Input(int number, int size = 4) => new() { Payload = Payload(number, size) };

    public static StreamingOutputCallRequest Output(int number, int size = 4) => new() { Payload = Payload(number, size) };

    /// <summary>Reads the numbers of <paramref name="count"/> messages, or of every message when null.</summary>
    public static async Task<List<int>> ReadNumbersAsync<T>(IAsyncStreamReader<T> reader, Func<T, Payload> payload, int? count = null)
    {
        var numbers = new List<int>();
        while ((count is null || numbers.Count < count) && await reader.MoveNext())
        {
            numbers.Add(Number(payload(reader.Current)));
        }

        return numbers;
    }
}
