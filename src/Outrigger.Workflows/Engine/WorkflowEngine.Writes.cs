using Google.Protobuf;
using Outrigger.Coordination;
using Outrigger.Coordination.Leases;
using Outrigger.Workflows.Hosting;
using Raftoral.Engine.V1;
using Code = Raftoral.Sidecar.StreamError.Types.Code;

namespace Outrigger.Workflows.Engine;

/// <summary>The owner's fenced writes (checkpoints and results) and the node lease.</summary>
internal sealed partial class WorkflowEngine
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(2);

    /// <summary>Starts the next queued write unless one is in flight: one at a time keeps checkpoint sequences gap-free.</summary>
    private void PumpWrites(Replica replica)
    {
        if (replica.WriteInFlight || !replica.Writes.TryPeek(out var write))
        {
            return;
        }

        replica.WriteInFlight = true;
        var ownerRevision = replica.OwnerRevision;
        RunInBackground(async () => Post(new WriteCompleted(replica, write, await WriteAsync(replica.Id, write, ownerRevision).ConfigureAwait(false))), "writing to the store");
    }

    /// <summary>
    /// <c>If owner unchanged And key missing Then put</c>. Retried while the store is unavailable (the compare makes a
    /// repeat safe: an earlier attempt that did apply is recognised by its value).
    /// </summary>
    private async Task<WriteOutcome> WriteAsync(string id, PendingWrite write, long ownerRevision)
    {
        var (key, value) = write switch
        {
            CheckpointWrite checkpoint => (_keys.Checkpoint(id, checkpoint.Record.Sequence), checkpoint.Record.ToByteArray()),
            ResultWrite result => (_keys.Result(id), result.Record.ToByteArray()),
            _ => throw new InvalidOperationException("unknown write"),
        };
        var ownerKey = _keys.Owner(id);
        var txn = new Txn(
            [Compare.ModRevision(ownerKey, CompareOp.Equal, ownerRevision), Compare.Missing(key)],
            [TxnOp.Put(key, value)],
            [TxnOp.Get(ownerKey), TxnOp.Get(key)]);
        var delay = FirstRetry;
        while (true)
        {
            try
            {
                var result = await _store.TxnAsync(txn, _stop.Token).ConfigureAwait(false);
                return result.Succeeded ? new WriteOutcome(WriteStatus.Committed) : Explain(result, value);
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.Unavailable && !_stop.IsCancellationRequested)
            {
                Log.WriteRetry(_logger, id, e.Message);
                await DelayAsync(delay).ConfigureAwait(false);
                delay = delay * 2 > LastRetry ? LastRetry : delay * 2;
            }
            catch (CoordinationException e)
            {
                return new WriteOutcome(WriteStatus.Failed, e.Message);
            }
        }
    }

    private static WriteOutcome Explain(TxnResult result, byte[] value)
    {
        var owner = ((RangeResult)result.Results[0]).Kvs;
        var existing = ((RangeResult)result.Results[1]).Kvs;
        if (existing.Count > 0)
        {
            return existing[0].Value.Span.SequenceEqual(value) ? new WriteOutcome(WriteStatus.Committed) : new WriteOutcome(WriteStatus.AlreadyWritten);
        }

        if (owner.Count == 0)
        {
            return new WriteOutcome(WriteStatus.NotOwner, "it has no owner at the moment");
        }

        var record = OwnerRecord.Parser.ParseFrom(owner[0].Value.Span);
        var detail = $"the owner is node {record.Node} (epoch {record.Epoch})";
        return new WriteOutcome(WriteStatus.NotOwner, detail);
    }

    private void OnWriteCompleted(WriteCompleted completed)
    {
        var (replica, write, outcome) = (completed.Replica, completed.Write, completed.Outcome);
        replica.WriteInFlight = false;
        if (replica.Writes.TryPeek(out var head) && ReferenceEquals(head, write))
        {
            replica.Writes.Dequeue();
        }

        switch (outcome.Status)
        {
            case WriteStatus.Committed:
                OnCommitted(replica, write);
                break;
            case WriteStatus.AlreadyWritten when write is ResultWrite:
                break;
            case WriteStatus.NotOwner:
                RefuseAll(replica, write, Code.NotOwner, $"node {_options.NodeId} is no longer the owner of workflow {replica.Id}; {outcome.Detail}");
                break;
            case WriteStatus.AlreadyWritten:
                RefuseAll(replica, write, Code.OutOfOrder, $"checkpoint #{((CheckpointWrite)write).Record.Sequence} of workflow {replica.Id} was already written by another owner");
                break;
            default:
                RefuseAll(replica, write, outcome.Detail.Contains("limit", StringComparison.Ordinal) ? Code.TooLarge : Code.Unavailable, $"the store refused the write for workflow {replica.Id}: {outcome.Detail}");
                break;
        }

        PumpWrites(replica);
    }

    private void OnCommitted(Replica replica, PendingWrite write)
    {
        switch (write)
        {
            case CheckpointWrite checkpoint:
                replica.WrittenThrough = Math.Max(replica.WrittenThrough, checkpoint.Record.Sequence + 1);
                break;
            case ResultWrite result:
                var counter = result.Record.Outcome == Outcome.Completed ? WorkflowMetrics.Completed : WorkflowMetrics.Failed;
                counter.Add(1);
                break;
        }
    }

    private void RefuseAll(Replica replica, PendingWrite failed, Code code, string message)
    {
        Log.WriteRefused(_logger, replica.Id, message);
        Refuse(failed, code, message, replica);
        while (replica.Writes.TryDequeue(out var write))
        {
            Refuse(write, code, message, replica);
        }

        ResetSequence(replica);
    }

    private void AdoptLease(LeaseKeeper lease)
    {
        _lease = lease;
        _leaseId = lease.LeaseId;
        lease.Lost.Register(() => Post(new LeaseLost(lease)));
    }

    /// <summary>The node lease expired (a long pause, a store outage): everything this node owned is gone; get a new lease and start over.</summary>
    private void OnLeaseLost(LeaseKeeper lost)
    {
        if (!ReferenceEquals(lost, _lease) || _stop.IsCancellationRequested)
        {
            return;
        }

        Log.LeaseLost(_logger, _options.NodeId, lost.LeaseId);
        _leaseProblem = $"the node lease {lost.LeaseId} expired (the coordination store was unreachable); renewing it";
        RunInBackground(async () =>
        {
            await lost.DisposeAsync().ConfigureAwait(false);
            var delay = FirstRetry;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    Post(new LeaseReplaced(await LeaseKeeper.StartAsync(_store, _options.NodeTtl, _logger, _stop.Token).ConfigureAwait(false)));
                    return;
                }
                catch (CoordinationException e)
                {
                    Log.WriteRetry(_logger, "(node lease)", e.Message);
                    await DelayAsync(delay).ConfigureAwait(false);
                    delay = delay * 2 > LastRetry ? LastRetry : delay * 2;
                }
            }
        }, "renewing the node lease");
    }

    private void OnLeaseReplaced(LeaseKeeper lease)
    {
        AdoptLease(lease);
        _leaseProblem = null;
        Publish();
        foreach (var replica in _replicas.Values)
        {
            _dirty.Add(replica);
        }
    }
}
