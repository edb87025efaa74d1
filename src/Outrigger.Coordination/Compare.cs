using System.Text;

namespace Outrigger.Coordination;

/// <summary>What a <see cref="Compare"/> looks at (etcd's <c>Compare.CompareTarget</c>, same numbers).</summary>
public enum CompareTarget
{
    Version = 0,
    CreateRevision = 1,
    ModRevision = 2,
    Value = 3,
    Lease = 4,
}

/// <summary>How a <see cref="Compare"/> compares (etcd's <c>Compare.CompareResult</c>, same numbers).</summary>
public enum CompareOp
{
    Equal = 0,
    Greater = 1,
    Less = 2,
    NotEqual = 3,
}

/// <summary>
/// One condition of a transaction on a single key. A missing key has version, revisions and lease 0;
/// a value comparison on a missing key is always false (as in etcd).
/// </summary>
public sealed record Compare
{
    private Compare(string key, CompareTarget target, CompareOp op, long number, ReadOnlyMemory<byte> value)
    {
        Key = key;
        KeyBytes = Encoding.UTF8.GetBytes(key);
        Target = target;
        Op = op;
        Number = number;
        Operand = value;
    }

    public string Key { get; }

    public CompareTarget Target { get; }

    public CompareOp Op { get; }

    /// <summary>The number compared with for every target but <see cref="CompareTarget.Value"/>.</summary>
    public long Number { get; }

    /// <summary>The bytes compared with (byte order) for <see cref="CompareTarget.Value"/>.</summary>
    public ReadOnlyMemory<byte> Operand { get; }

    internal byte[] KeyBytes { get; }

    public static Compare Version(string key, CompareOp op, long version) => new(key, CompareTarget.Version, op, version, default);

    public static Compare CreateRevision(string key, CompareOp op, long revision) => new(key, CompareTarget.CreateRevision, op, revision, default);

    public static Compare ModRevision(string key, CompareOp op, long revision) => new(key, CompareTarget.ModRevision, op, revision, default);

    public static Compare Lease(string key, CompareOp op, long leaseId) => new(key, CompareTarget.Lease, op, leaseId, default);

    public static Compare Value(string key, CompareOp op, ReadOnlyMemory<byte> value) => new(key, CompareTarget.Value, op, 0, value);

    public static Compare Value(string key, CompareOp op, string value) => Value(key, op, Encoding.UTF8.GetBytes(value));

    /// <summary>True when the key does not exist (version 0).</summary>
    public static Compare Missing(string key) => Version(key, CompareOp.Equal, 0);

    /// <summary>Evaluates against the key's current version (<paramref name="kv"/> null when missing).</summary>
    internal bool Holds(KeyValue? kv)
    {
        if (Target == CompareTarget.Value)
        {
            return kv is not null && Matches(kv.Value.Span.SequenceCompareTo(Operand.Span));
        }

        var actual = Target switch
        {
            CompareTarget.Version => kv?.Version ?? 0,
            CompareTarget.CreateRevision => kv?.CreateRevision ?? 0,
            CompareTarget.ModRevision => kv?.ModRevision ?? 0,
            _ => kv?.Lease ?? 0,
        };
        return Matches(actual.CompareTo(Number));
    }

    private bool Matches(int order) => Op switch
    {
        CompareOp.Equal => order == 0,
        CompareOp.Greater => order > 0,
        CompareOp.Less => order < 0,
        _ => order != 0,
    };
}
