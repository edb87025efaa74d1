using Google.Protobuf;
using Outrigger.Coordination;
using Outrigger.Workflows.Apps;
using Outrigger.Workflows.Hosting;
using Raftoral.Engine.V1;
using Raftoral.Sidecar;
using Code = Raftoral.Sidecar.StreamError.Types.Code;

namespace Outrigger.Workflows.Engine;

/// <summary>App streams: opening and closing them, their registrations, proposals and results.</summary>
internal sealed partial class WorkflowEngine
{
    private const int MaxNameLength = 256;
    private readonly List<(AppSession Session, WorkflowType Type)> _pendingAcks = [];
    private bool _publishInFlight;
    private bool _publishPending;

    /// <summary>A new app stream; feed its messages to <see cref="Receive"/> and call <see cref="Close"/> when it ends.</summary>
    public AppSession Open(string peer)
    {
        var session = new AppSession(Interlocked.Increment(ref _nextSessionId), peer, Now);
        Interlocked.Increment(ref _sessionCount);
        WorkflowMetrics.AppStreams.Add(1);
        Log.AppConnected(_logger, session.ToString());
        Post(new SessionOpened(session));
        return session;
    }

    public void Receive(AppSession session, AppMessage message)
    {
        session.Touch(Now);
        if (message.MessageCase == AppMessage.MessageOneofCase.Heartbeat)
        {
            session.Send(Messages.Heartbeat(message.Heartbeat.Timestamp));
            return;
        }

        Post(new AppMessageReceived(session, message));
    }

    public void Close(AppSession session)
    {
        Interlocked.Decrement(ref _sessionCount);
        WorkflowMetrics.AppStreams.Add(-1);
        session.Complete();
        Post(new SessionClosed(session));
    }

    private void OnSessionClosed(AppSession session)
    {
        _sessions.Remove(session);
        Log.AppDisconnected(_logger, session.ToString(), session.AbortReason ?? "the app closed the stream");
        foreach (var replica in _replicas.Values)
        {
            if (replica.Session == session)
            {
                DropQueuedWrites(replica, session);
                replica.Unassign(Now);
                _dirty.Add(replica);
            }
        }

        if (session.Registrations.Count > 0)
        {
            Publish();
        }
    }

    private void OnAppMessage(AppSession session, AppMessage message)
    {
        switch (message.MessageCase)
        {
            case AppMessage.MessageOneofCase.RegisterWorkflow:
                OnRegister(session, message.RegisterWorkflow);
                break;
            case AppMessage.MessageOneofCase.CheckpointProposal:
                OnProposal(session, message.CheckpointProposal);
                break;
            case AppMessage.MessageOneofCase.WorkflowResult:
                OnResult(session, message.WorkflowResult);
                break;
            default:
                session.SendError(Code.InvalidMessage, "empty AppMessage: set one of register_workflow, checkpoint_proposal, workflow_result or heartbeat");
                break;
        }
    }

    private void OnRegister(AppSession session, RegisterWorkflowRequest request)
    {
        if (request.WorkflowName.Length is 0 or > MaxNameLength || request.Version == 0)
        {
            session.SendError(Code.InvalidMessage, $"register_workflow needs a workflow_name of 1-{MaxNameLength} characters and a version of at least 1 (got '{request.WorkflowName}' v{request.Version})");
            return;
        }

        var type = new WorkflowType(request.WorkflowName, request.Version);
        session.Registrations.Add(type);
        _pendingAcks.Add((session, type));
        Log.Registered(_logger, session.ToString(), type.ToString());
        Publish();
        foreach (var replica in _replicas.Values)
        {
            if (replica.Session is null && replica.Type == type)
            {
                _dirty.Add(replica);
            }
        }
    }

    private void OnProposal(AppSession session, CheckpointProposal proposal)
    {
        if (proposal.WorkflowId.Length == 0 || proposal.CheckpointName.Length is 0 or > MaxNameLength)
        {
            session.SendError(Code.InvalidMessage, $"checkpoint_proposal needs a workflow_id and a checkpoint_name of 1-{MaxNameLength} characters", proposal.WorkflowId, proposal.CheckpointName);
            return;
        }

        if (!TryGetAssigned(session, proposal.WorkflowId, proposal.CheckpointName, isResult: false, out var replica))
        {
            return;
        }

        if (!IsOwner(replica))
        {
            session.SendError(Code.NotOwner, NotOwnerMessage(replica), replica.Id, proposal.CheckpointName);
            return;
        }

        if (proposal.Value.Length > _options.MaxCheckpointBytes)
        {
            session.SendError(Code.TooLarge, $"checkpoint '{proposal.CheckpointName}' of workflow {replica.Id} is {proposal.Value.Length} bytes, over the limit of {_options.MaxCheckpointBytes} bytes (workflows.max_checkpoint_bytes)", replica.Id, proposal.CheckpointName);
            return;
        }

        var sequence = Math.Max(replica.NextSequence, (ulong)replica.Checkpoints.Count);
        if (proposal.HasSequence && proposal.Sequence != sequence)
        {
            session.SendError(Code.OutOfOrder, $"checkpoint '{proposal.CheckpointName}' was proposed as #{proposal.Sequence} but the next checkpoint of workflow {replica.Id} is #{sequence}", replica.Id, proposal.CheckpointName);
            return;
        }

        replica.NextSequence = sequence + 1;
        replica.ProposedAt[sequence] = Now;
        var record = new CheckpointRecord { Sequence = sequence, Name = proposal.CheckpointName, Value = proposal.Value, Epoch = replica.Owner!.Epoch, Node = _options.NodeId };
        replica.Writes.Enqueue(new CheckpointWrite(session, record));
        PumpWrites(replica);
    }

    private void OnResult(AppSession session, WorkflowResult result)
    {
        if (result.WorkflowId.Length == 0)
        {
            session.SendError(Code.InvalidMessage, "workflow_result needs a workflow_id");
            return;
        }

        if (!TryGetAssigned(session, result.WorkflowId, string.Empty, isResult: true, out var replica) || replica.ResultQueued)
        {
            return;
        }

        if (!IsOwner(replica))
        {
            // Standby replicas run the code too; only the owner records a result, this one if this node becomes the owner.
            replica.StandbyResult = result;
            return;
        }

        QueueResult(session, replica, result);
    }

    private void QueueResult(AppSession session, Replica replica, WorkflowResult result)
    {
        if (result.Result.Length > _options.MaxCheckpointBytes)
        {
            session.SendError(Code.TooLarge, $"the result of workflow {replica.Id} is {result.Result.Length} bytes, over the limit of {_options.MaxCheckpointBytes} bytes (workflows.max_checkpoint_bytes)", replica.Id);
            return;
        }

        var record = new ResultRecord
        {
            Outcome = result.Success ? Outcome.Completed : Outcome.Failed,
            Result = result.Result,
            Error = result.Success || result.Error.Length > 0 ? result.Error : "the workflow failed without an error message",
            Epoch = replica.Owner!.Epoch,
            Node = _options.NodeId,
            FinishedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        replica.ResultQueued = true;
        replica.Writes.Enqueue(new ResultWrite(session, record));
        PumpWrites(replica);
    }

    /// <summary>Finds the replica a proposal or result names and checks that <paramref name="session"/> runs it; else tells the app why not.</summary>
    private bool TryGetAssigned(AppSession session, string workflowId, string checkpointName, bool isResult, out Replica replica)
    {
        if (!_replicas.TryGetValue(workflowId, out replica!))
        {
            RunInBackground(() => ExplainUnknownAsync(session, workflowId, checkpointName, isResult), "looking up a workflow");
            return false;
        }

        if (replica.Session != session)
        {
            session.SendError(Code.NotAssigned, $"workflow {workflowId} runs on another app stream of node {_options.NodeId}, not on this one", workflowId, checkpointName);
            return false;
        }

        return true;
    }

    /// <summary>A message named a workflow this node does not run: say whether it does not exist, has finished or runs elsewhere.</summary>
    private async Task ExplainUnknownAsync(AppSession session, string workflowId, string checkpointName, bool isResult)
    {
        var txn = await _store.TxnAsync(new Txn([], [TxnOp.Get(_keys.Meta(workflowId)), TxnOp.Get(_keys.Result(workflowId))]), _stop.Token).ConfigureAwait(false);
        var meta = ((RangeResult)txn.Results[0]).Kvs;
        var finished = ((RangeResult)txn.Results[1]).Kvs.Count > 0;
        if (meta.Count == 0)
        {
            session.SendError(Code.UnknownWorkflow, $"unknown workflow '{workflowId}': no workflow with this id was started", workflowId, checkpointName);
        }
        else if (finished)
        {
            if (!isResult)
            {
                session.SendError(Code.Finished, $"workflow {workflowId} has already finished", workflowId, checkpointName);
            }
        }
        else
        {
            var replicas = WorkflowRecord.Parser.ParseFrom(meta[0].Value.Span).Replicas;
            session.SendError(Code.NotReplica, $"node {_options.NodeId} is not a replica of workflow {workflowId} (its replicas: {string.Join(", ", replicas)})", workflowId, checkpointName);
        }
    }

    private string NotOwnerMessage(Replica replica) => replica.Owner is { } owner
        ? $"node {_options.NodeId} is not the owner of workflow {replica.Id}; the owner is node {owner.Node} (epoch {owner.Epoch})"
        : $"node {_options.NodeId} is not the owner of workflow {replica.Id}; it has no owner at the moment";

    /// <summary>Ownership moved away: queued writes are refused with the reason; the app waits for the new owner's checkpoints.</summary>
    private void RejectWrites(Replica replica, OwnerRecord? owner)
    {
        if (replica.Writes.Count == 0)
        {
            return;
        }

        var message = owner is null
            ? $"node {_options.NodeId} lost ownership of workflow {replica.Id}"
            : $"node {_options.NodeId} is no longer the owner of workflow {replica.Id}; the owner is node {owner.Node} (epoch {owner.Epoch})";
        var inFlight = replica.WriteInFlight ? replica.Writes.Dequeue() : null;
        while (replica.Writes.TryDequeue(out var write))
        {
            Refuse(write, Code.NotOwner, message, replica);
        }

        if (inFlight is not null)
        {
            replica.Writes.Enqueue(inFlight);
        }

        ResetSequence(replica);
    }

    private void DropQueuedWrites(Replica replica, AppSession session)
    {
        var inFlight = replica.WriteInFlight ? replica.Writes.Dequeue() : null;
        var kept = replica.Writes.Where(w => w.Session != session).ToList();
        replica.Writes.Clear();
        if (inFlight is not null)
        {
            replica.Writes.Enqueue(inFlight);
        }

        foreach (var write in kept)
        {
            replica.Writes.Enqueue(write);
        }

        ResetSequence(replica);
    }

    private static void ResetSequence(Replica replica)
    {
        var next = (ulong)replica.Checkpoints.Count;
        replica.ResultQueued = false;
        foreach (var write in replica.Writes)
        {
            switch (write)
            {
                case CheckpointWrite checkpoint:
                    next = Math.Max(next, checkpoint.Record.Sequence + 1);
                    break;
                case ResultWrite:
                    replica.ResultQueued = true;
                    break;
            }
        }

        replica.NextSequence = Math.Max(next, replica.WrittenThrough);
    }

    private static void Refuse(PendingWrite write, Code code, string message, Replica replica)
    {
        var name = write is CheckpointWrite checkpoint ? checkpoint.Record.Name : string.Empty;
        if (write is CheckpointWrite refused)
        {
            replica.ProposedAt.Remove(refused.Record.Sequence);
        }

        write.Session.SendError(code, message, replica.Id, name);
    }

    /// <summary>Publishes this node's record (its registrations); one put at a time, then acknowledges the registrations it carried.</summary>
    private void Publish()
    {
        if (_superseded)
        {
            return;
        }

        if (_publishInFlight)
        {
            _publishPending = true;
            return;
        }

        _publishInFlight = true;
        _publishPending = false;
        var record = BuildNodeRecord();
        var acks = _pendingAcks.ToArray();
        _pendingAcks.Clear();
        var leaseId = _leaseId;
        RunInBackground(async () =>
        {
            var ok = false;
            try
            {
                await _store.PutAsync(_keys.Node(_options.NodeId), record.ToByteArray(), leaseId, _stop.Token).ConfigureAwait(false);
                ok = true;
            }
            catch (CoordinationException e)
            {
                Log.PublishFailed(_logger, e.Message);
            }
            finally
            {
                Post(new NodePublished(acks, ok));
            }
        }, "publishing the node record");
    }

    private void OnPublished(NodePublished published)
    {
        _publishInFlight = false;
        if (!published.Succeeded)
        {
            _pendingAcks.AddRange(published.Acks);
            _publishPending = true;
            return;
        }

        foreach (var (session, type) in published.Acks)
        {
            session.Send(Messages.Registered(type));
        }

        if (_publishPending)
        {
            Publish();
        }
    }

    private NodeRecord BuildNodeRecord()
    {
        var record = new NodeRecord
        {
            Node = _options.NodeId,
            Address = _options.Address,
            LeaseId = _leaseId,
            StartedAtMs = _startedAtMs,
            PodIp = _options.PodIp,
            PodNamespace = _options.PodNamespace,
        };
        var types = new SortedSet<(string, uint)>();
        foreach (var session in _sessions)
        {
            foreach (var type in session.Registrations)
            {
                types.Add((type.Name, type.Version));
            }
        }

        foreach (var (name, version) in types)
        {
            record.Registrations.Add(new Registration { WorkflowName = name, Version = version });
        }

        return record;
    }
}
