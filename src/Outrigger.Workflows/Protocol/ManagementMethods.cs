using Outrigger.Grpc;
using Raftoral;

namespace Outrigger.Workflows.Protocol;

/// <summary>The workflow management service served on the node port.</summary>
internal static class ManagementMethods
{
    public const string Service = "raftoral.WorkflowManagement";

    public static readonly Method<RunWorkflowRequest, RunWorkflowAsyncResponse> RunWorkflowAsync =
        new(MethodType.Unary, Service, "RunWorkflowAsync", RunWorkflowRequest.Parser, RunWorkflowAsyncResponse.Parser);

    public static readonly Method<WaitForWorkflowRequest, RunWorkflowResponse> WaitForWorkflowCompletion =
        new(MethodType.Unary, Service, "WaitForWorkflowCompletion", WaitForWorkflowRequest.Parser, RunWorkflowResponse.Parser);

    public static readonly Method<RunWorkflowRequest, RunWorkflowResponse> RunWorkflowSync =
        new(MethodType.Unary, Service, "RunWorkflowSync", RunWorkflowRequest.Parser, RunWorkflowResponse.Parser);

    public static readonly Method<ListWorkflowsRequest, ListWorkflowsResponse> ListWorkflows =
        new(MethodType.Unary, Service, "ListWorkflows", ListWorkflowsRequest.Parser, ListWorkflowsResponse.Parser);

    public static readonly Method<GetWorkflowRequest, WorkflowInfo> GetWorkflow =
        new(MethodType.Unary, Service, "GetWorkflow", GetWorkflowRequest.Parser, WorkflowInfo.Parser);

    public static readonly Method<CancelWorkflowRequest, CancelWorkflowResponse> CancelWorkflow =
        new(MethodType.Unary, Service, "CancelWorkflow", CancelWorkflowRequest.Parser, CancelWorkflowResponse.Parser);
}
