using Raftoral.Engine.V1;
using Raftoral.Sidecar;

namespace Outrigger.Workflows.Engine;

/// <summary>Builds the messages the sidecar sends to apps.</summary>
internal static class Messages
{
    public static SidecarMessage Execute(Replica replica, bool isOwner) => new()
    {
        ExecuteWorkflow = new ExecuteWorkflowRequest
        {
            WorkflowId = replica.Id,
            WorkflowName = replica.Meta.WorkflowName,
            Version = replica.Meta.Version,
            Input = replica.Meta.Input,
            IsOwner = isOwner,
            CommittedCheckpoints = (ulong)replica.Checkpoints.Count,
        },
    };

    public static SidecarMessage Checkpoint(string workflowId, CheckpointRecord record) => new()
    {
        CheckpointEvent = new CheckpointEvent
        {
            WorkflowId = workflowId,
            CheckpointName = record.Name,
            Value = record.Value,
            Sequence = record.Sequence,
        },
    };

    public static SidecarMessage Ownership(string workflowId, bool isOwner, OwnerRecord? owner) => new()
    {
        OwnershipChange = new OwnershipChange
        {
            WorkflowId = workflowId,
            IsOwner = isOwner,
            Epoch = owner?.Epoch ?? 0,
            OwnerNode = owner?.Node ?? string.Empty,
        },
    };

    public static SidecarMessage Cancellation(string workflowId, string reason) => new()
    {
        WorkflowCancellation = new WorkflowCancellation { WorkflowId = workflowId, Reason = reason },
    };

    public static SidecarMessage Registered(WorkflowType type) => new()
    {
        WorkflowRegistered = new WorkflowRegistered { WorkflowName = type.Name, Version = type.Version },
    };

    public static SidecarMessage Heartbeat(ulong timestamp) => new()
    {
        HeartbeatResponse = new HeartbeatResponse { Timestamp = timestamp },
    };
}
