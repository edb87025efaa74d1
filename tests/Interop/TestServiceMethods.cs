using Grpc.Testing;
using Outrigger.Grpc;

namespace Outrigger.Interop;

/// <summary>Descriptors of <c>grpc.testing.TestService</c> and <c>grpc.testing.UnimplementedService</c>.</summary>
public static class TestServiceMethods
{
    public const string ServiceName = "grpc.testing.TestService";
    public const string UnimplementedServiceName = "grpc.testing.UnimplementedService";

    public static readonly Method<Empty, Empty> EmptyCall = new(MethodType.Unary, ServiceName, "EmptyCall", Empty.Parser, Empty.Parser);

    public static readonly Method<SimpleRequest, SimpleResponse> UnaryCall = new(MethodType.Unary, ServiceName, "UnaryCall", SimpleRequest.Parser, SimpleResponse.Parser);

    public static readonly Method<SimpleRequest, SimpleResponse> CacheableUnaryCall = new(MethodType.Unary, ServiceName, "CacheableUnaryCall", SimpleRequest.Parser, SimpleResponse.Parser);

    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> StreamingOutputCall =
        new(MethodType.ServerStreaming, ServiceName, "StreamingOutputCall", StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);

    public static readonly Method<StreamingInputCallRequest, StreamingInputCallResponse> StreamingInputCall =
        new(MethodType.ClientStreaming, ServiceName, "StreamingInputCall", StreamingInputCallRequest.Parser, StreamingInputCallResponse.Parser);

    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> FullDuplexCall =
        new(MethodType.DuplexStreaming, ServiceName, "FullDuplexCall", StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);

    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> HalfDuplexCall =
        new(MethodType.DuplexStreaming, ServiceName, "HalfDuplexCall", StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);

    public static readonly Method<Empty, Empty> UnimplementedCall = new(MethodType.Unary, ServiceName, "UnimplementedCall", Empty.Parser, Empty.Parser);

    public static readonly Method<Empty, Empty> UnimplementedServiceCall = new(MethodType.Unary, UnimplementedServiceName, "UnimplementedCall", Empty.Parser, Empty.Parser);
}
