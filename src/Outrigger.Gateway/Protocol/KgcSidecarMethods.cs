using Knhk.Sidecar.V1;
using Outrigger.Grpc;

namespace Outrigger.Gateway.Protocol;

/// <summary>The methods of <c>knhk.sidecar.v1.KgcSidecar</c>.</summary>
internal static class KgcSidecarMethods
{
    public const string Service = "knhk.sidecar.v1.KgcSidecar";

    /// <summary>Optional request metadata: the app's own idempotency key for its transaction (at most 128 characters).</summary>
    public const string IdempotencyKeyHeader = "idempotency-key";

    public static readonly Method<Transaction, TransactionResponse> SubmitTransaction =
        new(MethodType.Unary, Service, "SubmitTransaction", Transaction.Parser, TransactionResponse.Parser);

    public static readonly Method<Query, QueryResponse> SubmitQuery =
        new(MethodType.Unary, Service, "SubmitQuery", Query.Parser, QueryResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthCheck =
        new(MethodType.Unary, Service, "HealthCheck", HealthCheckRequest.Parser, HealthCheckResponse.Parser);
}
