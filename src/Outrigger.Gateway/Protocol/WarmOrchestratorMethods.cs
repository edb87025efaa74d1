using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Outrigger.Grpc;

namespace Outrigger.Gateway.Protocol;

/// <summary>The methods of <c>knhk.warm.v1.WarmOrchestrator</c>, shared by the gateway's client and the reference orchestrator.</summary>
internal static class WarmOrchestratorMethods
{
    public const string Service = "knhk.warm.v1.WarmOrchestrator";

    public static readonly Method<BatchRequest, BatchResponse> SubmitBatch =
        new(MethodType.Unary, Service, "SubmitBatch", BatchRequest.Parser, BatchResponse.Parser);

    public static readonly Method<Query, QueryResponse> SubmitQuery =
        new(MethodType.Unary, Service, "SubmitQuery", Query.Parser, QueryResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthCheck =
        new(MethodType.Unary, Service, "HealthCheck", HealthCheckRequest.Parser, HealthCheckResponse.Parser);
}
