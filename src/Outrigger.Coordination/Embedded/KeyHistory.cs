namespace Outrigger.Coordination.Embedded;

/// <summary>One write to a key: its version (or a tombstone for a delete) and its place in the revision.</summary>
internal readonly record struct KeyRecord(int Sub, KeyValue Kv, bool Deleted)
{
    public long Main => Kv.ModRevision;
}

/// <summary>The kept versions of one key, oldest first.</summary>
internal sealed class KeyHistory
{
    private readonly List<KeyRecord> _records = [];

    public IReadOnlyList<KeyRecord> Records => _records;

    public bool IsEmpty => _records.Count == 0;

    /// <summary>The current version, or null when the key is deleted.</summary>
    public KeyValue? Latest => _records.Count == 0 || _records[^1].Deleted ? null : _records[^1].Kv;

    public void Add(KeyRecord record) => _records.Add(record);

    /// <summary>The version that was current at <paramref name="revision"/>, or null.</summary>
    public KeyValue? At(long revision)
    {
        var lo = 0;
        var hi = _records.Count - 1;
        var found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_records[mid].Main <= revision)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 || _records[found].Deleted ? null : _records[found].Kv;
    }

    /// <summary>
    /// Drops versions superseded before <paramref name="revision"/>: keeps the version current at that revision (unless
    /// it is a tombstone older than it) and everything after.
    /// </summary>
    public void Compact(long revision)
    {
        var keepFrom = 0;
        for (var i = 0; i < _records.Count && _records[i].Main <= revision; i++)
        {
            keepFrom = i;
        }

        if (keepFrom < _records.Count && _records[keepFrom].Main <= revision && _records[keepFrom].Deleted && _records[keepFrom].Main < revision)
        {
            keepFrom++;
        }

        if (keepFrom > 0)
        {
            _records.RemoveRange(0, keepFrom);
        }
    }
}
