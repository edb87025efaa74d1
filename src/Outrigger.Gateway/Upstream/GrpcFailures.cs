using Outrigger.Gateway.Resilience;
using Outrigger.Grpc;

namespace Outrigger.Gateway.Upstream;

/// <summary>How gRPC statuses from the orchestrator are judged by the retry and the breaker.</summary>
internal static class GrpcFailures
{
    public static UpstreamFailures Instance { get; } = new(IsRetryable, IsFailure);

    /// <summary>Worth another attempt: the upstream was unreachable, too slow for our attempt deadline, or aborted.</summary>
    public static bool IsRetryable(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted };

    /// <summary>The upstream is unwell. Client errors (INVALID_ARGUMENT, …) prove it answers and do not count.</summary>
    public static bool IsFailure(Exception exception) => exception is not RpcException rpc || rpc.StatusCode is
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.Internal or
        StatusCode.Unknown or StatusCode.DataLoss or StatusCode.Unimplemented;
}
