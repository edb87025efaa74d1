using System.Globalization;
using Outrigger.Coordination;
using Outrigger.Workflows.Apps;
using Outrigger.Workflows.Hosting;
using Outrigger.Workflows.Store;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Engine;

/// <summary>Applying store changes to the replicas, keeping each replica's app stream up to date, ownership claims and releases.</summary>
internal sealed partial class WorkflowEngine
{
    private void Apply(WatchEvent e)
    {
        var kind = _keys.Parse(e.Kv.Key, out var id, out var sequence);
        var put = e.Type == WatchEventType.Put;
        if (kind == KeyKind.Node)
        {
            OnNodeChanged(id, put ? NodeRecord.Parser.ParseFrom(e.Kv.Value.Span) : null);
            return;
        }

        if (kind == KeyKind.Result && put)
        {
            var result = ResultRecord.Parser.ParseFrom(e.Kv.Value.Span);
            Waiters.Complete(id, result);
            if (_replicas.TryGetValue(id, out var finished))
            {
                Finish(finished, result);
            }

            return;
        }

        if (kind == KeyKind.Meta && put && !_replicas.ContainsKey(id))
        {
            OnMeta(WorkflowRecord.Parser.ParseFrom(e.Kv.Value.Span));
            return;
        }

        if (!_replicas.TryGetValue(id, out var replica))
        {
            return;
        }

        switch (kind)
        {
            case KeyKind.Epoch when put:
                replica.Epoch = ulong.Parse(e.Kv.ValueText, CultureInfo.InvariantCulture);
                break;
            case KeyKind.Owner:
                OnOwnerChanged(replica, put ? OwnerRecord.Parser.ParseFrom(e.Kv.Value.Span) : null, e.Kv.ModRevision);
                break;
            case KeyKind.Checkpoint when put:
                OnCheckpoint(replica, sequence, CheckpointRecord.Parser.ParseFrom(e.Kv.Value.Span));
                break;
        }
    }

    private void OnNodeChanged(string node, NodeRecord? record)
    {
        if (record is null)
        {
            _nodes.Remove(node);
        }
        else
        {
            _nodes[node] = record;
        }

        if (node == _options.NodeId && !_superseded && record?.LeaseId != _leaseId)
        {
            OnOwnRecordChanged(record);
        }
    }

    /// <summary>
    /// This node's record was overwritten or deleted by someone else. A newer process with the same node id (this one
    /// is a zombie: paused, or replaced by a restart) wins and this one stops claiming and serving; an older one is
    /// overwritten again.
    /// </summary>
    private void OnOwnRecordChanged(NodeRecord? record)
    {
        var newer = record is not null && (record.StartedAtMs > _startedAtMs || (record.StartedAtMs == _startedAtMs && record.LeaseId > _leaseId));
        if (!newer)
        {
            Publish();
            return;
        }

        _superseded = true;
        Log.Superseded(_logger, _options.NodeId, record!.LeaseId);
        foreach (var session in _sessions)
        {
            session.Abort(Grpc.StatusCode.Unavailable, $"another sidecar process now runs as node {_options.NodeId}; reconnect to it");
        }

        foreach (var replica in _replicas.Values)
        {
            replica.Unassign(Now);
            replica.Writes.Clear();
        }
    }

    private void OnMeta(WorkflowRecord meta)
    {
        if (!meta.Replicas.Contains(_options.NodeId))
        {
            return;
        }

        var replica = new Replica(meta) { OwnerMissingSince = Now };
        _replicas[meta.WorkflowId] = replica;
        WorkflowMetrics.Active.Add(1);
        _dirty.Add(replica);
    }

    private void OnOwnerChanged(Replica replica, OwnerRecord? owner, long revision)
    {
        replica.Owner = owner;
        replica.OwnerRevision = owner is null ? 0 : revision;
        replica.OwnerMissingSince = owner is null ? Now : 0;
        if (owner is not null && owner.Node == _options.NodeId && owner.LeaseId == _leaseId)
        {
            Log.Owns(_logger, replica.Id, owner.Epoch);
        }

        if (!IsOwner(replica))
        {
            RejectWrites(replica, owner);
        }

        _dirty.Add(replica);
    }

    private void OnCheckpoint(Replica replica, ulong sequence, CheckpointRecord record)
    {
        var count = (ulong)replica.Checkpoints.Count;
        if (sequence < count)
        {
            return;
        }

        if (sequence > count)
        {
            Log.CheckpointGap(_logger, replica.Id, sequence, replica.Checkpoints.Count);
            Post(new Reload());
            return;
        }

        replica.Checkpoints.Add(record);
        replica.NextSequence = Math.Max(replica.NextSequence, sequence + 1);
        if (replica.ProposedAt.Remove(sequence, out var proposedAt))
        {
            WorkflowMetrics.CheckpointCommit.Record(Since(proposedAt).TotalSeconds);
        }

        _dirty.Add(replica);
    }

    private void Finish(Replica replica, ResultRecord result)
    {
        _replicas.Remove(replica.Id);
        WorkflowMetrics.Active.Add(-1);
        if (replica.Session is { } session && replica.Executing)
        {
            // The owner's app has finished by itself; standbys and cancelled runs are told to stop.
            if (result.Outcome == Outcome.Cancelled || !IsOwner(replica))
            {
                session.Send(Messages.Cancellation(replica.Id, result.Outcome == Outcome.Cancelled
                    ? result.Error
                    : $"the workflow finished ({result.Outcome}) on its owner {result.Node}"));
            }
        }

        replica.Unassign(Now);
        replica.Writes.Clear();
        _dirty.Remove(replica);
        Log.Finished(_logger, replica.Id, result.Outcome.ToString(), result.Node);
    }

    private bool IsOwner(Replica replica) => replica.IsOwnedBy(_options.NodeId, _leaseId);

    private void SyncDirty()
    {
        if (_dirty.Count == 0)
        {
            return;
        }

        foreach (var replica in _dirty)
        {
            Sync(replica);
        }

        _dirty.Clear();
    }

    /// <summary>
    /// Brings the replica's app stream up to date: assign a stream if it has none, send the execute request, every
    /// committed checkpoint not yet sent, then ownership news (after the checkpoints, so a new owner computes only what
    /// is not committed). Also claims ownership when the replica has none to claim.
    /// </summary>
    private void Sync(Replica replica)
    {
        if (_superseded)
        {
            return;
        }

        if (replica.Session is null && PickSession(replica.Type) is { } session)
        {
            replica.AssignTo(session);
            Log.Assigned(_logger, replica.Id, session.ToString());
        }

        MaybeClaim(replica);
        if (replica.Session is not { } app)
        {
            return;
        }

        var owner = IsOwner(replica);
        if (!replica.Executing)
        {
            app.Send(Messages.Execute(replica, owner));
            replica.Executing = true;
            replica.ToldOwner = owner;
        }

        while (replica.Delivered < replica.Checkpoints.Count)
        {
            app.Send(Messages.Checkpoint(replica.Id, replica.Checkpoints[replica.Delivered++]));
        }

        if (replica.ToldOwner != owner)
        {
            app.Send(Messages.Ownership(replica.Id, owner, replica.Owner));
            replica.ToldOwner = owner;
        }

        if (owner && replica.StandbyResult is { } finished && !replica.ResultQueued)
        {
            replica.StandbyResult = null;
            QueueResult(app, replica, finished);
        }
    }

    /// <summary>The least busy connected stream that registered <paramref name="type"/>.</summary>
    private AppSession? PickSession(WorkflowType type)
    {
        AppSession? best = null;
        foreach (var session in _sessions)
        {
            if (session.Registrations.Contains(type) && !session.Aborted.IsCancellationRequested && (best is null || session.Assigned < best.Assigned))
            {
                best = session;
            }
        }

        return best;
    }

    /// <summary>
    /// Claims ownership when there is none (staggered by this node's rank among the live replicas that can run the
    /// workflow) or when the owner record is this node's own from an earlier lease (a restart: at once).
    /// </summary>
    private void MaybeClaim(Replica replica)
    {
        if (replica.ClaimInFlight || replica.Session is null)
        {
            return;
        }

        var staleSelf = replica.Owner is { } current && current.Node == _options.NodeId && current.LeaseId != _leaseId;
        if (replica.Owner is not null && !staleSelf)
        {
            return;
        }

        if (!staleSelf && Since(replica.OwnerMissingSince) < _options.ClaimStagger * ClaimRank(replica))
        {
            return;
        }

        replica.ClaimInFlight = true;
        var expectedOwnerRevision = replica.OwnerRevision;
        var epoch = replica.Epoch;
        var leaseId = _leaseId;
        RunInBackground(() => ClaimAsync(replica, expectedOwnerRevision, epoch, leaseId), "claiming ownership");
    }

    private async Task ClaimAsync(Replica replica, long ownerRevision, ulong epoch, long leaseId)
    {
        try
        {
            var id = replica.Id;
            var next = epoch + 1;
            var owner = new OwnerRecord { Node = _options.NodeId, Epoch = next, LeaseId = leaseId };
            Compare[] conditions =
            [
                ownerRevision == 0 ? Compare.Missing(_keys.Owner(id)) : Compare.ModRevision(_keys.Owner(id), CompareOp.Equal, ownerRevision),
                epoch == 0 ? Compare.Missing(_keys.Epoch(id)) : Compare.Value(_keys.Epoch(id), CompareOp.Equal, epoch.ToString(CultureInfo.InvariantCulture)),
            ];
            var txn = new Txn(conditions, [TxnOp.Put(_keys.Owner(id), Google.Protobuf.MessageExtensions.ToByteArray(owner), leaseId), TxnOp.Put(_keys.Epoch(id), next.ToString(CultureInfo.InvariantCulture))]);
            var result = await _store.TxnAsync(txn, _stop.Token).ConfigureAwait(false);
            Log.Claim(_logger, id, next, result.Succeeded);
        }
        catch (CoordinationException e)
        {
            Log.ClaimFailed(_logger, replica.Id, e.Message);
        }
        finally
        {
            Post(new ClaimCompleted(replica));
        }
    }

    /// <summary>This node's position among the replicas that are alive and have registered the workflow's type.</summary>
    private int ClaimRank(Replica replica)
    {
        var rank = 0;
        foreach (var node in replica.Meta.Replicas)
        {
            if (node == _options.NodeId)
            {
                return rank;
            }

            if (_nodes.TryGetValue(node, out var record) && HasRegistration(record, replica.Type))
            {
                rank++;
            }
        }

        return rank;
    }

    private static bool HasRegistration(NodeRecord node, WorkflowType type)
    {
        foreach (var registration in node.Registrations)
        {
            if (registration.WorkflowName == type.Name && registration.Version == type.Version)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An owner whose app has been gone for the grace period hands the workflow to a replica whose app is there.</summary>
    private void MaybeRelease(Replica replica)
    {
        if (replica.ReleaseInFlight || replica.Session is not null || !IsOwner(replica) || replica.WriteInFlight
            || Since(replica.UnassignedSince) < _options.AppGrace || !AnotherReplicaCanRun(replica))
        {
            return;
        }

        replica.ReleaseInFlight = true;
        var revision = replica.OwnerRevision;
        Log.Releasing(_logger, replica.Id, _options.AppGrace.TotalSeconds);
        RunInBackground(async () =>
        {
            try
            {
                var key = _keys.Owner(replica.Id);
                await _store.TxnAsync(new Txn([Compare.ModRevision(key, CompareOp.Equal, revision)], [TxnOp.Delete(key)]), _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                Post(new ReleaseCompleted(replica));
            }
        }, "releasing ownership");
    }

    private bool AnotherReplicaCanRun(Replica replica)
    {
        foreach (var node in replica.Meta.Replicas)
        {
            if (node != _options.NodeId && _nodes.TryGetValue(node, out var record) && HasRegistration(record, replica.Type))
            {
                return true;
            }
        }

        return false;
    }

    private void OnTick()
    {
        foreach (var session in _sessions)
        {
            if (Since(session.LastSeen) > _options.AppTimeout)
            {
                Log.AppTimedOut(_logger, session.ToString(), _options.AppTimeout.TotalSeconds);
                session.Abort(Grpc.StatusCode.DeadlineExceeded, $"no message from the app for {_options.AppTimeout.TotalSeconds:0.#} s (send heartbeats)");
            }
        }

        if (_superseded)
        {
            return;
        }

        foreach (var replica in _replicas.Values)
        {
            if (replica.Owner is null || replica.Session is null)
            {
                _dirty.Add(replica);
            }

            MaybeRelease(replica);
        }

        if (_publishPending && !_publishInFlight)
        {
            Publish();
        }
    }
}
