using Microsoft.Extensions.Logging;

namespace Outrigger.Proxy.Forwarding;

internal sealed partial class HttpForwarder
{
    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Warning, "Upstream {Endpoint} ({Cluster}) {Phase} failed: {Reason}")]
        public static partial void UpstreamFailed(ILogger logger, string endpoint, string cluster, string phase, string reason);

        [LoggerMessage(101, LogLevel.Warning, "Upstream {Endpoint} ({Cluster}) sent no response headers within {TimeoutMs} ms")]
        public static partial void Timeout(ILogger logger, string endpoint, string cluster, double timeoutMs);

        [LoggerMessage(102, LogLevel.Warning, "Upstream {Endpoint} ({Cluster}) failed while sending the response body; client connection aborted")]
        public static partial void ResponseBodyFailed(ILogger logger, string endpoint, string cluster);

        [LoggerMessage(103, LogLevel.Debug, "Client went away during route {Route} to {Endpoint}")]
        public static partial void ClientAborted(ILogger logger, string route, string endpoint);
    }
}
