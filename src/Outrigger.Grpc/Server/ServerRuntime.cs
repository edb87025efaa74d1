using Microsoft.Extensions.Logging;

namespace Outrigger.Grpc.Server;

/// <summary>What every call of one registry shares.</summary>
internal sealed class ServerRuntime(GrpcServerOptions options)
{
    public GrpcServerOptions Options { get; } = options;

    public ILogger Logger { get; } = options.LoggerFactory.CreateLogger("Outrigger.Grpc.Server");
}
