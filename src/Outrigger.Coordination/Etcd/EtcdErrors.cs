using Outrigger.Grpc;

namespace Outrigger.Coordination.Etcd;

/// <summary>Maps etcd's gRPC errors (status codes and its "etcdserver: …" messages) onto <see cref="CoordinationException"/>.</summary>
internal static class EtcdErrors
{
    /// <summary>Errors after which another member (or the same one, later) may succeed: connection loss, leader changes, timeouts.</summary>
    public static bool IsTransient(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted
        || (e.StatusCode == StatusCode.Cancelled && e.Status.Detail.Contains("RST_STREAM", StringComparison.Ordinal));

    public static CoordinationException Map(RpcException e, string endpoint, bool outcomeUnknown = false)
    {
        var detail = e.Status.Detail;
        return e.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition => new CoordinationException(CoordinationError.InvalidArgument, detail, e),
            StatusCode.NotFound when detail.Contains("lease not found", StringComparison.Ordinal) => new CoordinationException(CoordinationError.LeaseNotFound, detail, e),
            StatusCode.OutOfRange when detail.Contains("compacted", StringComparison.Ordinal) => new CompactedException(0, 0, detail),
            StatusCode.OutOfRange when detail.Contains("future revision", StringComparison.Ordinal) => new CoordinationException(CoordinationError.FutureRevision, detail, e),
            _ => Unavailable($"{endpoint}: {e.StatusCode}: {detail}", outcomeUnknown, e),
        };
    }

    public static CoordinationException Unavailable(string why, bool outcomeUnknown, Exception? inner = null) =>
        new(CoordinationError.Unavailable, outcomeUnknown ? $"etcd did not confirm the write, which may or may not have been applied ({why})" : $"etcd is unavailable ({why})", inner);
}
