using System.Globalization;
using Outrigger.Coordination;
using Outrigger.Workflows.Store;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Engine;

/// <summary>What a node reads at start (and after its watch fell behind): the live nodes and its unfinished replicas, at one revision.</summary>
internal sealed record StoreSnapshot(long Revision, IReadOnlyDictionary<string, NodeRecord> Nodes, IReadOnlyList<Replica> Replicas)
{
    public static async Task<StoreSnapshot> ReadAsync(ICoordinationStore store, StoreLayout keys, string nodeId, long now, CancellationToken cancellationToken)
    {
        var nodes = await store.RangeAsync(KeyRange.Prefix(keys.NodesPrefix), null, cancellationToken).ConfigureAwait(false);
        var at = new RangeOptions { Revision = nodes.Revision };
        var metas = await store.RangeAsync(KeyRange.Prefix(keys.MetaPrefix), at, cancellationToken).ConfigureAwait(false);
        var results = await ReadIdsAsync(store, keys, keys.ResultPrefix, at, cancellationToken).ConfigureAwait(false);
        var replicas = new List<Replica>();
        foreach (var kv in metas.Kvs)
        {
            var meta = WorkflowRecord.Parser.ParseFrom(kv.Value.Span);
            if (meta.Replicas.Contains(nodeId) && !results.Contains(meta.WorkflowId))
            {
                replicas.Add(await ReadReplicaAsync(store, keys, meta, at, now, cancellationToken).ConfigureAwait(false));
            }
        }

        var live = new Dictionary<string, NodeRecord>(StringComparer.Ordinal);
        foreach (var kv in nodes.Kvs)
        {
            var node = NodeRecord.Parser.ParseFrom(kv.Value.Span);
            live[node.Node] = node;
        }

        return new StoreSnapshot(nodes.Revision, live, replicas);
    }

    private static async Task<HashSet<string>> ReadIdsAsync(ICoordinationStore store, StoreLayout keys, string prefix, RangeOptions at, CancellationToken cancellationToken)
    {
        var range = await store.RangeAsync(KeyRange.Prefix(prefix), at with { KeysOnly = true }, cancellationToken).ConfigureAwait(false);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kv in range.Kvs)
        {
            if (keys.Parse(kv.Key, out var id, out _) != KeyKind.Unknown)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private static async Task<Replica> ReadReplicaAsync(ICoordinationStore store, StoreLayout keys, WorkflowRecord meta, RangeOptions at, long now, CancellationToken cancellationToken)
    {
        var id = meta.WorkflowId;
        var replica = new Replica(meta);
        var owners = await store.RangeAsync(KeyRange.Single(keys.Owner(id)), at, cancellationToken).ConfigureAwait(false);
        if (owners.Kvs is [var owner])
        {
            replica.Owner = OwnerRecord.Parser.ParseFrom(owner.Value.Span);
            replica.OwnerRevision = owner.ModRevision;
        }
        else
        {
            replica.OwnerMissingSince = now;
        }

        var epochs = await store.RangeAsync(KeyRange.Single(keys.Epoch(id)), at, cancellationToken).ConfigureAwait(false);
        if (epochs.Kvs is [var epoch])
        {
            replica.Epoch = ulong.Parse(epoch.ValueText, CultureInfo.InvariantCulture);
        }

        var checkpoints = await store.RangeAsync(KeyRange.Prefix(keys.CheckpointPrefix(id)), at, cancellationToken).ConfigureAwait(false);
        foreach (var kv in checkpoints.Kvs)
        {
            replica.Checkpoints.Add(CheckpointRecord.Parser.ParseFrom(kv.Value.Span));
        }

        replica.NextSequence = (ulong)replica.Checkpoints.Count;
        return replica;
    }
}
