namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>
/// The quads in memory with indexes by subject, predicate and object. Not thread-safe: <see cref="QuadStore"/> guards it.
/// </summary>
internal sealed class QuadIndex
{
    private readonly HashSet<Quad> _all = [];
    private readonly Dictionary<ulong, HashSet<Quad>> _bySubject = [];
    private readonly Dictionary<ulong, HashSet<Quad>> _byPredicate = [];
    private readonly Dictionary<ulong, HashSet<Quad>> _byObject = [];

    public int Count => _all.Count;

    public IReadOnlyCollection<Quad> All => _all;

    public bool Contains(Quad quad) => _all.Contains(quad);

    public void Add(Quad quad)
    {
        if (_all.Add(quad))
        {
            Bucket(_bySubject, quad.S).Add(quad);
            Bucket(_byPredicate, quad.P).Add(quad);
            Bucket(_byObject, quad.O).Add(quad);
        }
    }

    public void Remove(Quad quad)
    {
        if (_all.Remove(quad))
        {
            Unindex(_bySubject, quad.S, quad);
            Unindex(_byPredicate, quad.P, quad);
            Unindex(_byObject, quad.O, quad);
        }
    }

    /// <summary>The candidates for a pattern: the smallest index bucket among the bound positions (all quads when none is bound).</summary>
    public IReadOnlyCollection<Quad> Candidates(ulong? s, ulong? p, ulong? o)
    {
        IReadOnlyCollection<Quad> best = _all;
        Narrow(_bySubject, s, ref best);
        Narrow(_byPredicate, p, ref best);
        Narrow(_byObject, o, ref best);
        return best;
    }

    private static void Narrow(Dictionary<ulong, HashSet<Quad>> index, ulong? key, ref IReadOnlyCollection<Quad> best)
    {
        if (key is not { } k)
        {
            return;
        }

        IReadOnlyCollection<Quad> bucket = index.TryGetValue(k, out var set) ? set : [];
        if (bucket.Count < best.Count)
        {
            best = bucket;
        }
    }

    private static HashSet<Quad> Bucket(Dictionary<ulong, HashSet<Quad>> index, ulong key)
    {
        if (!index.TryGetValue(key, out var set))
        {
            set = [];
            index[key] = set;
        }

        return set;
    }

    private static void Unindex(Dictionary<ulong, HashSet<Quad>> index, ulong key, Quad quad)
    {
        if (index.TryGetValue(key, out var set) && set.Remove(quad) && set.Count == 0)
        {
            index.Remove(key);
        }
    }
}
