using Microsoft.Extensions.Logging;

namespace Outrigger.Grpc.Server;

public sealed partial class GrpcServiceRegistry
{
    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Debug, "gRPC call to unknown method {Path}: UNIMPLEMENTED.")]
        public static partial void Unimplemented(ILogger logger, string path);
    }
}
