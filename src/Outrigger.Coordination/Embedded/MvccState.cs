namespace Outrigger.Coordination.Embedded;

/// <summary>The events committed at one revision, in the order they were made.</summary>
internal sealed record RevisionEvents(long Revision, WatchEvent[] Events);

/// <summary>
/// The in-memory multi-version key space of the embedded store: every kept version of every key, the events of
/// every kept revision (for watches), the leases, the current and compacted revisions. Applying is deterministic,
/// so replaying the log rebuilds the same state. Not thread-safe: the store serialises access.
/// </summary>
internal sealed class MvccState
{
    private readonly SortedSet<byte[]> _keys = new(ByteKeys.Instance);
    private readonly Dictionary<byte[], KeyHistory> _histories = new(ByteKeys.Instance);
    private readonly List<RevisionEvents> _events = [];

    public MvccState(TimeProvider time)
    {
        Leases = new LeaseTable(time);
    }

    /// <summary>The store revision: 1 when empty, +1 per write request that changed a key.</summary>
    public long Revision { get; private set; } = 1;

    /// <summary>History before this revision is gone (0 = nothing compacted).</summary>
    public long CompactRevision { get; private set; }

    public LeaseTable Leases { get; }

    public int KeyCount => _histories.Count;

    public IReadOnlyDictionary<byte[], KeyHistory> Histories => _histories;

    public RangeResult Range(KeyRange range, RangeOptions options)
    {
        var revision = options.Revision <= 0 ? Revision : options.Revision;
        CheckRevision(revision);
        return RangeAt(range, options, revision);
    }

    public KeyValue? Latest(byte[] key) => _histories.TryGetValue(key, out var history) ? history.Latest : null;

    /// <summary>Reads at <paramref name="revision"/> without checking it (inside a transaction, long.MaxValue sees its own writes).</summary>
    private RangeResult RangeAt(KeyRange range, RangeOptions options, long revision)
    {
        var kvs = new List<KeyValue>();
        long count = 0;
        foreach (var key in KeysIn(range))
        {
            var kv = _histories[key].At(revision);
            if (kv is null)
            {
                continue;
            }

            count++;
            if (!options.CountOnly && (options.Limit <= 0 || kvs.Count < options.Limit))
            {
                kvs.Add(options.KeysOnly ? new KeyValue(kv.KeyBytes, ReadOnlyMemory<byte>.Empty, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease) : kv);
            }
        }

        return new RangeResult(Revision, kvs, count, options.Limit > 0 && count > kvs.Count && !options.CountOnly);
    }

    /// <summary>Evaluates and applies a transaction. Throws (changing nothing) when the chosen branch names a missing lease.</summary>
    public TxnResult ApplyTxn(Txn txn, out WatchEvent[] events)
    {
        var succeeded = true;
        foreach (var compare in txn.If)
        {
            if (!compare.Holds(Latest(compare.KeyBytes)))
            {
                succeeded = false;
                break;
            }
        }

        var ops = succeeded ? txn.Then : txn.Else;
        CheckBranch(ops);
        var writer = new RevisionWriter(this, Revision + 1);
        var results = new OpResult[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            results[i] = ops[i] switch
            {
                PutOp put => writer.Put(put.Key, put.Value, put.LeaseId),
                DeleteOp delete => writer.Delete(delete.Keys),
                RangeOp range => RangeAt(range.Keys, range.Options, range.Options.Revision <= 0 ? long.MaxValue : range.Options.Revision),
                _ => throw new InvalidOperationException("unknown operation"),
            };
        }

        events = writer.Commit();
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = results[i] with { Revision = Revision };
        }

        return new TxnResult(Revision, succeeded, results);
    }

    public LeaseGrant GrantLease(long id, long ttlSeconds)
    {
        if (Leases.Find(id) is not null)
        {
            throw new CoordinationException(CoordinationError.InvalidArgument, $"lease {id} already exists");
        }

        Leases.Add(id, ttlSeconds);
        return new LeaseGrant(id, TimeSpan.FromSeconds(ttlSeconds));
    }

    /// <summary>Removes a lease and deletes its keys at one revision.</summary>
    public void RevokeLease(long id, out WatchEvent[] events)
    {
        var lease = Leases.Find(id) ?? throw LeaseNotFound(id);
        var writer = new RevisionWriter(this, Revision + 1);
        foreach (var key in lease.Keys.Order(ByteKeys.Instance).ToArray())
        {
            writer.Delete(KeyRange.FromBytes(key, null));
        }

        Leases.Remove(id);
        events = writer.Commit();
    }

    public void Compact(long revision)
    {
        if (revision <= CompactRevision)
        {
            throw new CompactedException(revision, CompactRevision);
        }

        if (revision > Revision)
        {
            throw FutureRevision(revision);
        }

        CompactRevision = revision;
        List<byte[]>? emptied = null;
        foreach (var (key, history) in _histories)
        {
            history.Compact(revision);
            if (history.IsEmpty)
            {
                (emptied ??= []).Add(key);
            }
        }

        foreach (var key in emptied ?? [])
        {
            _histories.Remove(key);
            _keys.Remove(key);
        }

        var drop = FirstEventIndex(revision);
        _events.RemoveRange(0, drop);
    }

    /// <summary>
    /// Events on keys in <paramref name="range"/> from revision <paramref name="from"/> on, whole revisions only,
    /// stopping once at least <paramref name="maxEvents"/> are collected. <paramref name="next"/> is the revision to
    /// continue from.
    /// </summary>
    public List<WatchEvent> CollectEvents(KeyRange range, long from, int maxEvents, out long next)
    {
        if (from < CompactRevision)
        {
            throw new CompactedException(from, CompactRevision);
        }

        var found = new List<WatchEvent>();
        next = from;
        for (var i = FirstEventIndex(from); i < _events.Count && found.Count < maxEvents; i++)
        {
            foreach (var e in _events[i].Events)
            {
                if (range.Contains(e.Kv.KeyBytes))
                {
                    found.Add(e);
                }
            }

            next = _events[i].Revision + 1;
        }

        return found;
    }

    /// <summary>Rebuilds a state from snapshot contents.</summary>
    public void Restore(long revision, long compactRevision, IEnumerable<(byte[] Key, List<KeyRecord> Records)> keys)
    {
        Revision = revision;
        CompactRevision = compactRevision;
        var events = new List<(KeyRecord Record, WatchEvent Event)>();
        foreach (var (key, records) in keys)
        {
            var history = new KeyHistory();
            foreach (var record in records)
            {
                history.Add(record);
                if (record.Main >= compactRevision)
                {
                    events.Add((record, new WatchEvent(record.Deleted ? WatchEventType.Delete : WatchEventType.Put, record.Kv)));
                }
            }

            _histories[key] = history;
            _keys.Add(key);
            if (history.Latest is { Lease: not 0 } live)
            {
                Leases.Attach(live.Lease, key);
            }
        }

        events.Sort((a, b) => a.Record.Main != b.Record.Main ? a.Record.Main.CompareTo(b.Record.Main) : a.Record.Sub.CompareTo(b.Record.Sub));
        for (var i = 0; i < events.Count;)
        {
            var revisionEvents = new List<WatchEvent>();
            var main = events[i].Record.Main;
            for (; i < events.Count && events[i].Record.Main == main; i++)
            {
                revisionEvents.Add(events[i].Event);
            }

            _events.Add(new RevisionEvents(main, [.. revisionEvents]));
        }
    }

    private IEnumerable<byte[]> KeysIn(KeyRange range)
    {
        if (range.IsSingleKey)
        {
            return _histories.ContainsKey(range.Start) ? [range.Start] : [];
        }

        var upper = range.IsToEnd ? ByteKeys.Infinity : range.End!;
        if (ByteKeys.Instance.Compare(range.Start, upper) >= 0)
        {
            return [];
        }

        return _keys.GetViewBetween(range.Start, upper).Where(k => !ReferenceEquals(upper, k) && ByteKeys.Instance.Compare(k, upper) < 0);
    }

    private void CheckRevision(long revision)
    {
        if (revision > Revision)
        {
            throw FutureRevision(revision);
        }

        if (revision < CompactRevision)
        {
            throw new CompactedException(revision, CompactRevision);
        }
    }

    private void CheckBranch(IReadOnlyList<TxnOp> ops)
    {
        foreach (var op in ops)
        {
            if (op is PutOp { LeaseId: not 0 } put && Leases.Find(put.LeaseId) is null)
            {
                throw LeaseNotFound(put.LeaseId);
            }

            if (op is RangeOp { Options.Revision: > 0 } range)
            {
                CheckRevision(range.Options.Revision);
            }
        }
    }

    private int FirstEventIndex(long revision)
    {
        var lo = 0;
        var hi = _events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_events[mid].Revision < revision)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static CoordinationException FutureRevision(long revision) =>
        new(CoordinationError.FutureRevision, $"revision {revision} is a future revision");

    internal static CoordinationException LeaseNotFound(long id) =>
        new(CoordinationError.LeaseNotFound, $"lease {id} not found");

    /// <summary>Collects the writes of one request at one new revision; the revision exists only if something changed.</summary>
    private sealed class RevisionWriter(MvccState state, long revision)
    {
        private readonly List<WatchEvent> _events = [];

        public PutResult Put(byte[] key, ReadOnlyMemory<byte> value, long leaseId)
        {
            if (!state._histories.TryGetValue(key, out var history))
            {
                history = new KeyHistory();
                state._histories.Add(key, history);
                state._keys.Add(key);
            }

            var previous = history.Latest;
            var kv = new KeyValue(key, value.ToArray(), previous?.CreateRevision ?? revision, revision, (previous?.Version ?? 0) + 1, leaseId);
            history.Add(new KeyRecord(_events.Count, kv, Deleted: false));
            if (previous is { Lease: not 0 })
            {
                state.Leases.Detach(previous.Lease, key);
            }

            if (leaseId != 0)
            {
                state.Leases.Attach(leaseId, key);
            }

            _events.Add(new WatchEvent(WatchEventType.Put, kv));
            return new PutResult(revision);
        }

        public DeleteResult Delete(KeyRange range)
        {
            long deleted = 0;
            foreach (var key in state.KeysIn(range).ToArray())
            {
                var history = state._histories[key];
                var previous = history.Latest;
                if (previous is null)
                {
                    continue;
                }

                var tombstone = new KeyValue(previous.KeyBytes, ReadOnlyMemory<byte>.Empty, 0, revision, 0, 0);
                history.Add(new KeyRecord(_events.Count, tombstone, Deleted: true));
                if (previous.Lease != 0)
                {
                    state.Leases.Detach(previous.Lease, key);
                }

                _events.Add(new WatchEvent(WatchEventType.Delete, tombstone));
                deleted++;
            }

            return new DeleteResult(revision, deleted);
        }

        public WatchEvent[] Commit()
        {
            if (_events.Count == 0)
            {
                return [];
            }

            var events = _events.ToArray();
            state.Revision = revision;
            state._events.Add(new RevisionEvents(revision, events));
            return events;
        }
    }
}
