using Microsoft.Extensions.Logging;

namespace Outrigger.Grpc.Server;

internal sealed partial class ServerCall
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "gRPC handler of {Method} threw an unexpected exception.")]
        public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "gRPC call {Method} ended with {StatusCode}: {Detail}")]
        public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

        [LoggerMessage(3, LogLevel.Debug, "gRPC call {Method} was cancelled by the client.")]
        public static partial void CallCancelled(ILogger logger, string method);

        [LoggerMessage(4, LogLevel.Debug, "gRPC call {Method} exceeded its deadline.")]
        public static partial void DeadlineExceeded(ILogger logger, string method);

        [LoggerMessage(5, LogLevel.Debug, "gRPC call {Method}: the response could not be completed ({Reason}).")]
        public static partial void CompleteFailed(ILogger logger, string method, string reason);
    }
}
