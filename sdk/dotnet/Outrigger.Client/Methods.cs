using Outrigger.Grpc;
using Raftoral;
using Raftoral.Sidecar;

namespace Outrigger.Client;

/// <summary>The RPCs the SDK calls: the app stream (sidecar port) and workflow management (node port).</summary>
internal static class Methods
{
    public static readonly Method<AppMessage, SidecarMessage> WorkflowStream =
        new(MethodType.DuplexStreaming, "raftoral.sidecar.RaftoralSidecar", "WorkflowStream", AppMessage.Parser, SidecarMessage.Parser);

    private const string Management = "raftoral.WorkflowManagement";

    public static readonly Method<RunWorkflowRequest, RunWorkflowAsyncResponse> RunWorkflowAsync =
        new(MethodType.Unary, Management, "RunWorkflowAsync", RunWorkflowRequest.Parser, RunWorkflowAsyncResponse.Parser);

    public static readonly Method<RunWorkflowRequest, RunWorkflowResponse> RunWorkflowSync =
        new(MethodType.Unary, Management, "RunWorkflowSync", RunWorkflowRequest.Parser, RunWorkflowResponse.Parser);

    public static readonly Method<WaitForWorkflowRequest, RunWorkflowResponse> WaitForWorkflowCompletion =
        new(MethodType.Unary, Management, "WaitForWorkflowCompletion", WaitForWorkflowRequest.Parser, RunWorkflowResponse.Parser);

    public static readonly Method<ListWorkflowsRequest, ListWorkflowsResponse> ListWorkflows =
        new(MethodType.Unary, Management, "ListWorkflows", ListWorkflowsRequest.Parser, ListWorkflowsResponse.Parser);

    public static readonly Method<GetWorkflowRequest, WorkflowInfo> GetWorkflow =
        new(MethodType.Unary, Management, "GetWorkflow", GetWorkflowRequest.Parser, WorkflowInfo.Parser);

    public static readonly Method<CancelWorkflowRequest, CancelWorkflowResponse> CancelWorkflow =
        new(MethodType.Unary, Management, "CancelWorkflow", CancelWorkflowRequest.Parser, CancelWorkflowResponse.Parser);
}
