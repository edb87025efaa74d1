using Outrigger.Coordination;
using Outrigger.Grpc;
using Outrigger.Grpc.Server;
using Outrigger.Workflows.Protocol;
using Raftoral;

namespace Outrigger.Workflows.Management;

/// <summary><c>raftoral.WorkflowManagement</c> over gRPC on the node port.</summary>
internal sealed class ManagementService(WorkflowDirectory directory)
{
    private const int DefaultListLimit = 1000;

    public void Register(GrpcServiceRegistry registry)
    {
        registry.AddUnary(ManagementMethods.RunWorkflowAsync, (request, context) => Guard(() => RunAsync(request, context.CancellationToken)));
        registry.AddUnary(ManagementMethods.RunWorkflowSync, (request, context) => Guard(() => RunSyncAsync(request, context.CancellationToken)));
        registry.AddUnary(ManagementMethods.WaitForWorkflowCompletion, (request, context) => Guard(() => WaitAsync(request, context.CancellationToken)));
        registry.AddUnary(ManagementMethods.ListWorkflows, (request, context) => Guard(() => ListAsync(request, context.CancellationToken)));
        registry.AddUnary(ManagementMethods.GetWorkflow, (request, context) => Guard(() => GetAsync(request, context.CancellationToken)));
        registry.AddUnary(ManagementMethods.CancelWorkflow, (request, context) => Guard(() => CancelAsync(request, context.CancellationToken)));
    }

    private async Task<RunWorkflowAsyncResponse> RunAsync(RunWorkflowRequest request, CancellationToken cancellationToken)
    {
        var (view, _) = await StartAsync(request, cancellationToken).ConfigureAwait(false);
        return new RunWorkflowAsyncResponse { Success = true, WorkflowId = view.Id, ExecutionClusterId = ClusterId, Status = view.Status };
    }

    private async Task<RunWorkflowResponse> RunSyncAsync(RunWorkflowRequest request, CancellationToken cancellationToken)
    {
        var (view, _) = await StartAsync(request, cancellationToken).ConfigureAwait(false);
        var finished = await directory.WaitAsync(view.Id, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return ToResponse(finished);
    }

    private Task<(WorkflowView, bool)> StartAsync(RunWorkflowRequest request, CancellationToken cancellationToken)
    {
        var input = Payloads.FromJsonText(request.InputJson, "input_json");
        return directory.StartAsync(request.WorkflowType, request.Version, input, request.WorkflowId, cancellationToken);
    }

    private async Task<RunWorkflowResponse> WaitAsync(WaitForWorkflowRequest request, CancellationToken cancellationToken)
    {
        var timeout = request.TimeoutSeconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(request.TimeoutSeconds);
        var view = await directory.WaitAsync(request.WorkflowId, timeout, cancellationToken).ConfigureAwait(false);
        return view.IsFinished
            ? ToResponse(view)
            : throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"workflow {view.Id} is still {view.Status} after {request.TimeoutSeconds} s"));
    }

    private async Task<ListWorkflowsResponse> ListAsync(ListWorkflowsRequest request, CancellationToken cancellationToken)
    {
        var views = await directory.ListAsync(request.Status, request.Limit == 0 ? DefaultListLimit : (int)request.Limit, cancellationToken).ConfigureAwait(false);
        var response = new ListWorkflowsResponse();
        response.Workflows.AddRange(views.Select(ToSummary));
        return response;
    }

    private async Task<WorkflowInfo> GetAsync(GetWorkflowRequest request, CancellationToken cancellationToken)
    {
        var view = await directory.GetAsync(request.WorkflowId, withCheckpoints: true, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowApiException(ApiError.NotFound, $"unknown workflow '{request.WorkflowId}': no workflow with this id was started");
        var info = new WorkflowInfo { Summary = ToSummary(view), Input = view.Meta.Input, Result = view.Result?.Result ?? Google.Protobuf.ByteString.Empty, Error = view.Result?.Error ?? string.Empty };
        info.Replicas.AddRange(view.Meta.Replicas);
        foreach (var checkpoint in view.Checkpoints)
        {
            info.Checkpoints.Add(new CheckpointInfo { Sequence = checkpoint.Sequence, Name = checkpoint.Name, Value = checkpoint.Value, Epoch = checkpoint.Epoch, Node = checkpoint.Node });
        }

        return info;
    }

    private async Task<CancelWorkflowResponse> CancelAsync(CancelWorkflowRequest request, CancellationToken cancellationToken)
    {
        var (cancelled, view) = await directory.CancelAsync(request.WorkflowId, request.Reason, cancellationToken).ConfigureAwait(false);
        return new CancelWorkflowResponse { Cancelled = cancelled, Status = view.Status };
    }

    /// <summary>Raftoral clients keep an execution cluster id; there is one store here, so it is a constant.</summary>
    private const string ClusterId = "default";

    public static RunWorkflowResponse ToResponse(WorkflowView view) => new()
    {
        Success = view.Status == WorkflowStatus.Completed,
        ResultJson = view.Result is { } result ? Payloads.ToText(result.Result.Span) : string.Empty,
        Error = view.Result?.Error ?? string.Empty,
        WorkflowId = view.Id,
        Status = view.Status,
    };

    public static WorkflowSummary ToSummary(WorkflowView view) => new()
    {
        WorkflowId = view.Id,
        WorkflowType = view.Meta.WorkflowName,
        Version = view.Meta.Version,
        Status = view.Status,
        OwnerNode = view.Owner?.Node ?? string.Empty,
        Epoch = view.Epoch,
        Checkpoints = view.CheckpointCount < 0 ? 0 : (ulong)view.CheckpointCount,
        CreatedAtMs = view.Meta.CreatedAtMs,
        FinishedAtMs = view.Result?.FinishedAtMs ?? 0,
    };

    /// <summary>Maps refusals and store failures to gRPC statuses with the reason.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (WorkflowApiException e)
        {
            throw new RpcException(new Status(e.Error switch
            {
                ApiError.InvalidArgument => StatusCode.InvalidArgument,
                ApiError.NotFound => StatusCode.NotFound,
                ApiError.AlreadyExists => StatusCode.AlreadyExists,
                ApiError.NoApp => StatusCode.FailedPrecondition,
                ApiError.TooLarge => StatusCode.ResourceExhausted,
                _ => StatusCode.Unavailable,
            }, e.Message));
        }
        catch (CoordinationException e) when (e.Error is CoordinationError.Unavailable or CoordinationError.Closed)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the workflow store is unavailable: " + e.Message));
        }
    }
}
