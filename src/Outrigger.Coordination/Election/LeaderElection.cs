using System.Globalization;
using System.Text;

namespace Outrigger.Coordination.Election;

/// <summary>
/// Leader election on a key prefix, etcd's recipe: each candidate writes <c>{prefix}/{leaseId}</c> attached to its
/// lease; the candidate whose key has the lowest create revision leads. A waiting candidate watches only the key
/// just before its own, so a change wakes one candidate, not all. When the leader's lease ends, its key goes and the
/// next candidate leads.
/// </summary>
public sealed class LeaderElection
{
    private readonly ICoordinationStore _store;
    private readonly string _prefix;

    public LeaderElection(ICoordinationStore store, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _store = store;
        _prefix = prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    /// <summary>
    /// Becomes a candidate with <paramref name="value"/> (for example this node's address) and returns once this
    /// candidate leads. Cancelling withdraws the candidacy.
    /// </summary>
    public async Task<Leadership> CampaignAsync(long leaseId, string value, CancellationToken cancellationToken = default)
    {
        var key = _prefix + leaseId.ToString("x16", CultureInfo.InvariantCulture);
        var txn = await _store.TxnAsync(
            new Txn([Compare.CreateRevision(key, CompareOp.Equal, 0)], [TxnOp.Put(key, value, leaseId)], [TxnOp.Get(key)]),
            cancellationToken).ConfigureAwait(false);
        var createRevision = txn.Succeeded ? txn.Revision : ((RangeResult)txn.Results[0]).Kvs[0].CreateRevision;
        var leadership = new Leadership(_store, key, createRevision, leaseId);
        try
        {
            await WaitForPredecessorsAsync(createRevision, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await leadership.ResignAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return leadership;
    }

    /// <summary>The current leader's key and value, or null when there is no candidate.</summary>
    public async Task<KeyValue?> GetLeaderAsync(CancellationToken cancellationToken = default)
    {
        var candidates = await _store.RangeAsync(KeyRange.Prefix(_prefix), null, cancellationToken).ConfigureAwait(false);
        KeyValue? leader = null;
        foreach (var kv in candidates.Kvs)
        {
            if (leader is null || kv.CreateRevision < leader.CreateRevision)
            {
                leader = kv;
            }
        }

        return leader;
    }

    private async Task WaitForPredecessorsAsync(long createRevision, CancellationToken cancellationToken)
    {
        while (true)
        {
            var candidates = await _store.RangeAsync(KeyRange.Prefix(_prefix), new RangeOptions { KeysOnly = true }, cancellationToken).ConfigureAwait(false);
            KeyValue? predecessor = null;
            foreach (var kv in candidates.Kvs)
            {
                if (kv.CreateRevision < createRevision && (predecessor is null || kv.CreateRevision > predecessor.CreateRevision))
                {
                    predecessor = kv;
                }
            }

            if (predecessor is null)
            {
                return;
            }

            await WaitForDeleteAsync(predecessor.Key, candidates.Revision + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitForDeleteAsync(string key, long fromRevision, CancellationToken cancellationToken)
    {
        var watch = await _store.WatchAsync(KeyRange.Single(key), fromRevision, cancellationToken).ConfigureAwait(false);
        await using (watch.ConfigureAwait(false))
        {
            while (true)
            {
                var response = await watch.ReadAsync(cancellationToken).ConfigureAwait(false);
                foreach (var e in response.Events)
                {
                    if (e.Type == WatchEventType.Delete)
                    {
                        return;
                    }
                }
            }
        }
    }
}

/// <summary>Held by the elected leader: fence writes with <see cref="IsLeader"/>, give up with <see cref="ResignAsync"/>.</summary>
public sealed class Leadership(ICoordinationStore store, string key, long createRevision, long leaseId)
{
    /// <summary>The candidate's key (<c>{prefix}/{leaseId in hex}</c>).</summary>
    public string Key { get; } = key;

    public long CreateRevision { get; } = createRevision;

    public long LeaseId { get; } = leaseId;

    /// <summary>
    /// A comparison that holds only while this candidacy's key still exists as created: add it to a transaction so the
    /// write applies only if this node still leads.
    /// </summary>
    public Compare IsLeader() => Compare.CreateRevision(Key, CompareOp.Equal, CreateRevision);

    /// <summary>Changes the value announced by the leader; false when this node no longer leads.</summary>
    public async Task<bool> ProclaimAsync(string value, CancellationToken cancellationToken = default)
    {
        var txn = await store.TxnAsync(new Txn([IsLeader()], [TxnOp.Put(Key, Encoding.UTF8.GetBytes(value), LeaseId)]), cancellationToken).ConfigureAwait(false);
        return txn.Succeeded;
    }

    /// <summary>Withdraws: deletes the key if it is still this candidacy's, so the next candidate leads.</summary>
    public Task ResignAsync(CancellationToken cancellationToken = default) =>
        store.TxnAsync(new Txn([IsLeader()], [TxnOp.Delete(Key)]), cancellationToken);
}
