using System.Text;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Raftoral;

namespace Outrigger.Client;

/// <summary>How a workflow stands.</summary>
public enum WorkflowState
{
    Unknown = 0,
    Pending = 1,
    Running = 2,
    Completed = 3,
    Failed = 4,
    Cancelled = 5,
}

/// <summary>A workflow's outcome (or its state while it runs). <see cref="ResultJson"/> is the result as recorded (JSON by convention).</summary>
public sealed record WorkflowOutcome(string WorkflowId, WorkflowState State, bool Success, string ResultJson, string Error);

/// <summary>One committed checkpoint as the store holds it.</summary>
public sealed record CheckpointEntry(ulong Sequence, string Name, byte[] Value, ulong Epoch, string Node);

/// <summary>A workflow's details: owner, epoch, replicas and checkpoint history.</summary>
public sealed record WorkflowDetails(
    string WorkflowId, string Name, uint Version, WorkflowState State, string Owner, ulong Epoch,
    IReadOnlyList<string> Replicas, byte[] Input, byte[] Result, string Error, IReadOnlyList<CheckpointEntry> Checkpoints);

/// <summary>
/// Starts and observes workflows through a node's management API (<c>raftoral.WorkflowManagement</c> on the node port,
/// default <c>http://127.0.0.1:7001</c>). Refusals surface as <see cref="RpcException"/> with the node's reason
/// (<c>FAILED_PRECONDITION</c> when no app registered the workflow, <c>NOT_FOUND</c>, <c>INVALID_ARGUMENT</c>, …).
/// </summary>
public sealed class WorkflowManagementClient(string nodeUrl) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(nodeUrl, new GrpcChannelOptions { MaxReceiveMessageSize = null });

    /// <summary>Starts a workflow (idempotent when <paramref name="workflowId"/> is given) and returns its id.</summary>
    public async Task<string> StartAsync(string name, uint version, string inputJson, string? workflowId = null, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(Methods.RunWorkflowAsync, Request(name, version, inputJson, workflowId), new CallOptions(CancellationToken: cancellationToken)).ConfigureAwait(false);
        return response.WorkflowId;
    }

    /// <summary>Starts a workflow and waits for its outcome.</summary>
    public async Task<WorkflowOutcome> RunAsync(string name, uint version, string inputJson, string? workflowId = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(Methods.RunWorkflowSync, Request(name, version, inputJson, workflowId), new CallOptions(CancellationToken: cancellationToken) { Timeout = timeout }).ConfigureAwait(false);
        return Outcome(response);
    }

    /// <summary>Waits for a workflow to finish; <c>DEADLINE_EXCEEDED</c> when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<WorkflowOutcome> WaitAsync(string workflowId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var request = new WaitForWorkflowRequest { WorkflowId = workflowId, TimeoutSeconds = (uint)Math.Max(1, Math.Ceiling(timeout.TotalSeconds)) };
        var response = await CallAsync(Methods.WaitForWorkflowCompletion, request, new CallOptions(CancellationToken: cancellationToken) { Timeout = timeout + TimeSpan.FromSeconds(5) }).ConfigureAwait(false);
        return Outcome(response);
    }

    public async Task<WorkflowDetails> GetAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        var info = await CallAsync(Methods.GetWorkflow, new GetWorkflowRequest { WorkflowId = workflowId }, new CallOptions(CancellationToken: cancellationToken)).ConfigureAwait(false);
        var summary = info.Summary;
        return new WorkflowDetails(
            summary.WorkflowId, summary.WorkflowType, summary.Version, (WorkflowState)summary.Status, summary.OwnerNode, summary.Epoch,
            [.. info.Replicas], info.Input.ToByteArray(), info.Result.ToByteArray(), info.Error,
            [.. info.Checkpoints.Select(c => new CheckpointEntry(c.Sequence, c.Name, c.Value.ToByteArray(), c.Epoch, c.Node))]);
    }

    /// <summary>Workflows, newest first, optionally only those in <paramref name="state"/>.</summary>
    public async Task<IReadOnlyList<(string WorkflowId, string Name, uint Version, WorkflowState State)>> ListAsync(WorkflowState state = WorkflowState.Unknown, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(Methods.ListWorkflows, new ListWorkflowsRequest { Status = (WorkflowStatus)state }, new CallOptions(CancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. response.Workflows.Select(w => (w.WorkflowId, w.WorkflowType, w.Version, (WorkflowState)w.Status))];
    }

    /// <summary>Cancels a workflow; false when it had already finished.</summary>
    public async Task<bool> CancelAsync(string workflowId, string reason = "", CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(Methods.CancelWorkflow, new CancelWorkflowRequest { WorkflowId = workflowId, Reason = reason }, new CallOptions(CancellationToken: cancellationToken)).ConfigureAwait(false);
        return response.Cancelled;
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>
        where TResponse : class, Google.Protobuf.IMessage<TResponse>
    {
        using var call = _channel.AsyncUnaryCall(method, request, options);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    private static RunWorkflowRequest Request(string name, uint version, string inputJson, string? workflowId) =>
        new() { WorkflowType = name, Version = version, InputJson = inputJson, WorkflowId = workflowId ?? string.Empty };

    private static WorkflowOutcome Outcome(RunWorkflowResponse response) =>
        new(response.WorkflowId, (WorkflowState)response.Status, response.Success, response.ResultJson, response.Error);

    /// <summary>The UTF-8 text of a payload (JSON by convention).</summary>
    public static string Text(byte[] payload) => Encoding.UTF8.GetString(payload);

    public void Dispose() => _channel.Dispose();
}
