using Raftoral;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Management;

/// <summary>A workflow as the store holds it at one revision.</summary>
internal sealed record WorkflowView(
    WorkflowRecord Meta,
    WorkflowStatus Status,
    OwnerRecord? Owner,
    ulong Epoch,
    ResultRecord? Result,
    long CheckpointCount,
    IReadOnlyList<CheckpointRecord> Checkpoints)
{
    public string Id => Meta.WorkflowId;

    public bool IsFinished => Result is not null;

    public static WorkflowStatus StatusOf(OwnerRecord? owner, ResultRecord? result) => result?.Outcome switch
    {
        Outcome.Completed => WorkflowStatus.Completed,
        Outcome.Failed => WorkflowStatus.Failed,
        Outcome.Cancelled => WorkflowStatus.Cancelled,
        _ => owner is null ? WorkflowStatus.Pending : WorkflowStatus.Running,
    };
}
