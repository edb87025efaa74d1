namespace Outrigger.Coordination;

/// <summary>Options of a range read.</summary>
public sealed record RangeOptions
{
    /// <summary>Read the store as it was at this revision; 0 (default) reads the latest.</summary>
    public long Revision { get; init; }

    /// <summary>Return at most this many keys; 0 (default) returns all. <see cref="RangeResult.More"/> tells whether some were left out.</summary>
    public long Limit { get; init; }

    /// <summary>Return keys without values.</summary>
    public bool KeysOnly { get; init; }

    /// <summary>Return only the count.</summary>
    public bool CountOnly { get; init; }
}

/// <summary>The result of one operation; the concrete type depends on the operation.</summary>
public abstract record OpResult(long Revision);

/// <summary>Keys found by a range read, in key order. <see cref="OpResult.Revision"/> is the store revision the read saw.</summary>
public sealed record RangeResult(long Revision, IReadOnlyList<KeyValue> Kvs, long Count, bool More) : OpResult(Revision);

/// <summary><see cref="OpResult.Revision"/> is the store revision after the put.</summary>
public sealed record PutResult(long Revision) : OpResult(Revision);

/// <summary>How many keys were deleted; <see cref="OpResult.Revision"/> is the store revision after the delete.</summary>
public sealed record DeleteResult(long Revision, long Deleted) : OpResult(Revision);

/// <summary>Which branch ran and the result of each of its operations, in order.</summary>
public sealed record TxnResult(long Revision, bool Succeeded, IReadOnlyList<OpResult> Results) : OpResult(Revision);

/// <summary>A granted lease.</summary>
public sealed record LeaseGrant(long Id, TimeSpan Ttl);

/// <summary>A lease's state: remaining and granted TTL and the keys attached to it.</summary>
public sealed record LeaseInfo(long Id, TimeSpan Remaining, TimeSpan Granted, IReadOnlyList<string> Keys);

/// <summary>What the store (or the etcd member answering) reports about itself.</summary>
public sealed record StoreStatus(string Endpoint, string Version, long Revision, long DbSize, bool IsLeader);
