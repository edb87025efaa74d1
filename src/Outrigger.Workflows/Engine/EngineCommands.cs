using Outrigger.Coordination;
using Outrigger.Coordination.Leases;
using Outrigger.Workflows.Apps;
using Raftoral.Sidecar;

namespace Outrigger.Workflows.Engine;

/// <summary>Everything the engine's loop reacts to, posted from watch, app streams, store calls and the ticker.</summary>
internal abstract record EngineCommand;

internal sealed record WatchEvents(IReadOnlyList<WatchEvent> Events) : EngineCommand;

internal sealed record SessionOpened(AppSession Session) : EngineCommand;

internal sealed record SessionClosed(AppSession Session) : EngineCommand;

internal sealed record AppMessageReceived(AppSession Session, AppMessage Message) : EngineCommand;

internal sealed record WriteCompleted(Replica Replica, PendingWrite Write, WriteOutcome Outcome) : EngineCommand;

internal sealed record ClaimCompleted(Replica Replica) : EngineCommand;

internal sealed record ReleaseCompleted(Replica Replica) : EngineCommand;

internal sealed record NodePublished(IReadOnlyList<(AppSession Session, WorkflowType Type)> Acks, bool Succeeded) : EngineCommand;

internal sealed record LeaseLost(LeaseKeeper Lease) : EngineCommand;

internal sealed record LeaseReplaced(LeaseKeeper Lease) : EngineCommand;

internal sealed record Reload : EngineCommand;

internal sealed record Reloaded(StoreSnapshot Snapshot) : EngineCommand;

internal sealed record Tick : EngineCommand;

internal sealed record AbortSessions(string Reason) : EngineCommand;

/// <summary>How an owner write ended.</summary>
internal enum WriteStatus
{
    Committed,
    NotOwner,
    AlreadyWritten,
    Failed,
}

internal sealed record WriteOutcome(WriteStatus Status, string Detail = "");
