using Outrigger.Workflows.Apps;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Engine;

/// <summary>
/// This node's copy of one unfinished workflow it replicates: what the store says (meta, owner, epoch, committed
/// checkpoints), which local app stream runs it and how far that stream has been brought, and the owner's queue of
/// writes. Owned by the engine's loop; never touched from other threads.
/// </summary>
internal sealed class Replica(WorkflowRecord meta)
{
    public WorkflowRecord Meta { get; } = meta;

    public string Id => Meta.WorkflowId;

    public WorkflowType Type { get; } = new(meta.WorkflowName, meta.Version);

    public OwnerRecord? Owner { get; set; }

    /// <summary>Mod revision of the owner key as last seen; fences every owner write.</summary>
    public long OwnerRevision { get; set; }

    /// <summary>The epoch key's value (the last epoch handed out).</summary>
    public ulong Epoch { get; set; }

    public List<CheckpointRecord> Checkpoints { get; } = [];

    /// <summary>When the owner key went missing (timestamp; 0 while there is an owner).</summary>
    public long OwnerMissingSince { get; set; }

    public bool ClaimInFlight { get; set; }

    public bool ReleaseInFlight { get; set; }

    // The local app stream.
    public AppSession? Session { get; set; }

    /// <summary>Whether <see cref="Session"/> has been sent the execute request.</summary>
    public bool Executing { get; set; }

    /// <summary>Checkpoints sent to <see cref="Session"/>.</summary>
    public int Delivered { get; set; }

    /// <summary>What <see cref="Session"/> was last told about ownership.</summary>
    public bool ToldOwner { get; set; }

    /// <summary>When the replica lost its app stream (timestamp; 0 while it has one).</summary>
    public long UnassignedSince { get; set; }

    // The owner's writes: one in flight at a time, so checkpoint sequences stay gap-free.
    public Queue<PendingWrite> Writes { get; } = new();

    public bool WriteInFlight { get; set; }

    /// <summary>The sequence the next accepted proposal gets.</summary>
    public ulong NextSequence { get; set; }

    /// <summary>One past the last checkpoint this node committed (it may not have come back through the watch yet).</summary>
    public ulong WrittenThrough { get; set; }

    public bool ResultQueued { get; set; }

    /// <summary>
    /// The result a standby's app reported (it ran on committed checkpoints, so it is the workflow's result). Recorded if
    /// this node becomes the owner, since that app will not run the workflow again.
    /// </summary>
    public Raftoral.Sidecar.WorkflowResult? StandbyResult { get; set; }

    /// <summary>When each locally proposed checkpoint was accepted (timestamp), for the commit latency.</summary>
    public Dictionary<ulong, long> ProposedAt { get; } = [];

    public bool IsOwnedBy(string node, long leaseId) => Owner is { } owner && owner.Node == node && owner.LeaseId == leaseId;

    public void AssignTo(AppSession session)
    {
        Session = session;
        session.Assigned++;
        Executing = false;
        Delivered = 0;
        UnassignedSince = 0;
    }

    public void Unassign(long now)
    {
        if (Session is { } session)
        {
            session.Assigned--;
        }

        Session = null;
        StandbyResult = null;
        Executing = false;
        Delivered = 0;
        UnassignedSince = now;
    }
}

/// <summary>A write the owner makes for a workflow: a checkpoint or the result.</summary>
internal abstract record PendingWrite(AppSession Session);

internal sealed record CheckpointWrite(AppSession Session, CheckpointRecord Record) : PendingWrite(Session);

internal sealed record ResultWrite(AppSession Session, ResultRecord Record) : PendingWrite(Session);
