using Google.Protobuf;
using Google.Protobuf.Reflection;
using Outrigger.Grpc.Reflection.V1;
using Outrigger.Grpc.Server;

namespace Outrigger.Grpc.Reflection;

/// <summary>
/// gRPC server reflection, <c>grpc.reflection.v1.ServerReflection</c> and <c>grpc.reflection.v1alpha.ServerReflection</c>:
/// lists the registry's services and serves the descriptors of the given proto files (with their dependencies), by
/// file name, by symbol (service, method, message, enum, field, extension) or by extension.
/// </summary>
public sealed class ReflectionService
{
    public const string ServiceNameV1 = "grpc.reflection.v1.ServerReflection";
    public const string ServiceNameV1Alpha = "grpc.reflection.v1alpha.ServerReflection";

    public static readonly Method<ServerReflectionRequest, ServerReflectionResponse> InfoMethodV1 =
        new(MethodType.DuplexStreaming, ServiceNameV1, "ServerReflectionInfo", ServerReflectionRequest.Parser, ServerReflectionResponse.Parser);

    public static readonly Method<V1Alpha.ServerReflectionRequest, V1Alpha.ServerReflectionResponse> InfoMethodV1Alpha =
        new(MethodType.DuplexStreaming, ServiceNameV1Alpha, "ServerReflectionInfo", V1Alpha.ServerReflectionRequest.Parser, V1Alpha.ServerReflectionResponse.Parser);

    private readonly GrpcServiceRegistry _registry;
    private readonly DescriptorIndex _index;

    /// <param name="registry">Its services are listed (read at each request, so later registrations show).</param>
    /// <param name="files">Descriptors of the served protos (e.g. <c>MyReflection.Descriptor</c>); dependencies are found from them.</param>
    public ReflectionService(GrpcServiceRegistry registry, IEnumerable<FileDescriptor> files)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(files);
        _registry = registry;
        _index = new DescriptorIndex([.. files, ReflectionReflection.Descriptor, V1Alpha.ReflectionReflection.Descriptor, Health.V1.HealthReflection.Descriptor]);
    }

    /// <summary>Registers both versions of the service on the registry given to the constructor.</summary>
    public void Register()
    {
        _registry.AddDuplexStreaming(InfoMethodV1, InfoV1Async);
        _registry.AddDuplexStreaming(InfoMethodV1Alpha, InfoV1AlphaAsync);
    }

    /// <summary>Answers one request (both versions share the v1 messages: the wire format is identical).</summary>
    internal ServerReflectionResponse Answer(ServerReflectionRequest request)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                response.ListServicesResponse = ListServices();
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                SetFile(response, _index.FindFile(request.FileByFilename), $"File not found: {request.FileByFilename}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                SetFile(response, _index.FindSymbol(request.FileContainingSymbol), $"Symbol not found: {request.FileContainingSymbol}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                var extension = request.FileContainingExtension;
                SetFile(response, _index.FindExtension(extension.ContainingType, extension.ExtensionNumber),
                    $"Extension not found: {extension.ContainingType}({extension.ExtensionNumber})");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                if (_index.FindMessage(request.AllExtensionNumbersOfType) is null)
                {
                    SetError(response, StatusCode.NotFound, $"Type not found: {request.AllExtensionNumbersOfType}");
                    break;
                }

                response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType };
                response.AllExtensionNumbersResponse.ExtensionNumber.AddRange(_index.ExtensionNumbers(request.AllExtensionNumbersOfType));
                break;
            default:
                SetError(response, StatusCode.InvalidArgument, "The request names no known reflection query.");
                break;
        }

        return response;
    }

    private async Task InfoV1Async(IAsyncStreamReader<ServerReflectionRequest> requests, IServerStreamWriter<ServerReflectionResponse> responses, ServerCallContext context)
    {
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            await responses.WriteAsync(Answer(requests.Current), context.CancellationToken).ConfigureAwait(false);
        }
    }

    private async Task InfoV1AlphaAsync(
        IAsyncStreamReader<V1Alpha.ServerReflectionRequest> requests, IServerStreamWriter<V1Alpha.ServerReflectionResponse> responses, ServerCallContext context)
    {
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var answer = Answer(ServerReflectionRequest.Parser.ParseFrom(requests.Current.ToByteString()));
            await responses.WriteAsync(V1Alpha.ServerReflectionResponse.Parser.ParseFrom(answer.ToByteString()), context.CancellationToken).ConfigureAwait(false);
        }
    }

    private ListServiceResponse ListServices()
    {
        var list = new ListServiceResponse();
        foreach (var name in _registry.ServiceNames)
        {
            list.Service.Add(new ServiceResponse { Name = name });
        }

        return list;
    }

    private void SetFile(ServerReflectionResponse response, FileDescriptor? file, string notFound)
    {
        if (file is null)
        {
            SetError(response, StatusCode.NotFound, notFound);
            return;
        }

        var files = new FileDescriptorResponse();
        foreach (var each in DescriptorIndex.WithDependencies(file))
        {
            files.FileDescriptorProto.Add(each.SerializedData);
        }

        response.FileDescriptorResponse = files;
    }

    private static void SetError(ServerReflectionResponse response, StatusCode code, string message) =>
        response.ErrorResponse = new ErrorResponse { ErrorCode = (int)code, ErrorMessage = message };
}
