using System.Net;

namespace Outrigger.Grpc.Protocol;

/// <summary>The gRPC status a client reports for a non-200 HTTP response (gRPC's http-grpc-status-mapping).</summary>
internal static class HttpStatusMapping
{
    public static StatusCode ToStatusCode(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => StatusCode.Internal,
        HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
        HttpStatusCode.NotFound => StatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
