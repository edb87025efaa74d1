using System.Text;

namespace Outrigger.Coordination;

/// <summary>One operation of a transaction branch.</summary>
public abstract record TxnOp
{
    private protected TxnOp()
    {
    }

    public static TxnOp Put(string key, ReadOnlyMemory<byte> value, long leaseId = 0) => new PutOp(Encoding.UTF8.GetBytes(key), value, leaseId);

    public static TxnOp Put(string key, string value, long leaseId = 0) => Put(key, Encoding.UTF8.GetBytes(value), leaseId);

    public static TxnOp Delete(KeyRange range) => new DeleteOp(range);

    public static TxnOp Delete(string key) => new DeleteOp(KeyRange.Single(key));

    public static TxnOp Range(KeyRange range, RangeOptions? options = null) => new RangeOp(range, options ?? new RangeOptions());

    public static TxnOp Get(string key) => Range(KeyRange.Single(key));
}

internal sealed record PutOp(byte[] Key, ReadOnlyMemory<byte> Value, long LeaseId) : TxnOp;

internal sealed record DeleteOp(KeyRange Keys) : TxnOp;

internal sealed record RangeOp(KeyRange Keys, RangeOptions Options) : TxnOp;

/// <summary>
/// An etcd transaction: when every comparison in <see cref="If"/> holds, <see cref="Then"/> runs, otherwise
/// <see cref="Else"/>. The chosen branch's operations run in order, atomically, at one revision.
/// </summary>
public sealed record Txn(IReadOnlyList<Compare> If, IReadOnlyList<TxnOp> Then, IReadOnlyList<TxnOp> Else)
{
    public Txn(IReadOnlyList<Compare> @if, IReadOnlyList<TxnOp> then)
        : this(@if, then, [])
    {
    }

    /// <summary>Whether either branch writes.</summary>
    internal bool IsReadOnly
    {
        get
        {
            foreach (var op in Then)
            {
                if (op is not RangeOp)
                {
                    return false;
                }
            }

            foreach (var op in Else)
            {
                if (op is not RangeOp)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
