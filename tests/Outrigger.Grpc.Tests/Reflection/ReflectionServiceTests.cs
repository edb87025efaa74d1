using Google.Protobuf;
using Google.Protobuf.Reflection;
using Outrigger.Grpc.Client;
using Outrigger.Grpc.Reflection;
using Outrigger.Grpc.Reflection.V1;
using Outrigger.Grpc.Server;
using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Reflection;

public sealed class ReflectionServiceTests
{
    [Fact]
    public async Task ListServices_V1_ListsRegisteredServices()
    {
        await using var server = await StartAsync();
        using var channel = server.CreateChannel();

        var response = await AskAsync(channel, new ServerReflectionRequest { ListServices = string.Empty });

        var names = response.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains(TestServiceMethods.ServiceName, names);
        Assert.Contains(ReflectionService.ServiceNameV1, names);
        Assert.Contains(ReflectionService.ServiceNameV1Alpha, names);
    }

    [Fact]
    public async Task FileContainingSymbol_Method_ReturnsFileAndDependencies()
    {
        await using var server = await StartAsync();
        using var channel = server.CreateChannel();

        var response = await AskAsync(channel, new ServerReflectionRequest { FileContainingSymbol = "grpc.testing.TestService.UnaryCall" });

        var files = response.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b).Name).ToList();
        Assert.Equal(["grpc/testing/test.proto", "grpc/testing/empty.proto", "grpc/testing/messages.proto"], files);
    }

    [Theory]
    [InlineData("no.such.Symbol")]
    [InlineData("grpc.testing")]
    public async Task FileContainingSymbol_Unknown_AnswersNotFoundAndKeepsStream(string symbol)
    {
        await using var server = await StartAsync();
        using var channel = server.CreateChannel();
        using var call = channel.AsyncDuplexStreamingCall(ReflectionService.InfoMethodV1);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = symbol });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileByFilename = "grpc/testing/empty.proto" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal((int)StatusCode.NotFound, call.ResponseStream.Current.ErrorResponse.ErrorCode);
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Single(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto);
    }

    [Fact]
    public async Task V1Alpha_FileByFilename_AnswersLikeV1()
    {
        await using var server = await StartAsync();
        using var channel = server.CreateChannel();
        using var call = channel.AsyncDuplexStreamingCall(ReflectionService.InfoMethodV1Alpha);

        await call.RequestStream.WriteAsync(new Outrigger.Grpc.Reflection.V1Alpha.ServerReflectionRequest { FileByFilename = "grpc/testing/messages.proto", Host = "h" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext());
        var response = call.ResponseStream.Current;
        Assert.Equal("h", response.ValidHost);
        Assert.Equal("grpc/testing/messages.proto", FileDescriptorProto.Parser.ParseFrom(response.FileDescriptorResponse.FileDescriptorProto[0]).Name);
    }

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(registry =>
    {
        new TestServiceImpl(TimeProvider.System).Register(registry);
        new ReflectionService(registry, [global::Grpc.Testing.TestReflection.Descriptor]).Register();
    });

    private static async Task<ServerReflectionResponse> AskAsync(GrpcChannel channel, ServerReflectionRequest request)
    {
        using var call = channel.AsyncDuplexStreamingCall(ReflectionService.InfoMethodV1);
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        return call.ResponseStream.Current;
    }
}
