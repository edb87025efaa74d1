namespace Outrigger.Coordination;

/// <summary>etcd's request limits and checks, applied by both backends before a request is sent or logged.</summary>
internal static class RequestLimits
{
    /// <summary>etcd's default <c>--max-request-bytes</c> (1.5 MiB).</summary>
    public const int MaxRequestBytes = 1536 * 1024;

    /// <summary>etcd's default <c>--max-txn-ops</c>.</summary>
    public const int MaxTxnOps = 128;

    /// <summary>etcd's largest lease TTL in seconds.</summary>
    public const long MaxLeaseTtlSeconds = 9_000_000_000;

    public static void ValidatePut(byte[] key, ReadOnlyMemory<byte> value, long leaseId)
    {
        ValidateKey(key);
        if (leaseId < 0)
        {
            throw Invalid($"lease id {leaseId} is negative");
        }

        if (key.Length + value.Length > MaxRequestBytes)
        {
            throw Invalid($"request of {key.Length + value.Length} bytes is larger than the {MaxRequestBytes} byte limit");
        }
    }

    public static void ValidateRange(KeyRange range)
    {
        ValidateKey(range.Start);
        if (range.End is { Length: > 0 } end && !range.IsToEnd && end.AsSpan().SequenceCompareTo(range.Start) <= 0)
        {
            throw Invalid($"range {range} is empty: its end is not after its start");
        }
    }

    public static void ValidateTxn(Txn txn)
    {
        if (txn.If.Count > MaxTxnOps || txn.Then.Count > MaxTxnOps || txn.Else.Count > MaxTxnOps)
        {
            throw Invalid($"too many operations in transaction (limit {MaxTxnOps} per list)");
        }

        long size = 0;
        foreach (var compare in txn.If)
        {
            ValidateKey(compare.KeyBytes);
            size += compare.KeyBytes.Length + compare.Operand.Length;
        }

        size += ValidateBranch(txn.Then) + ValidateBranch(txn.Else);
        if (size > MaxRequestBytes)
        {
            throw Invalid($"request of {size} bytes is larger than the {MaxRequestBytes} byte limit");
        }
    }

    public static long ValidateTtl(TimeSpan ttl)
    {
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        if (seconds <= 0 || seconds > MaxLeaseTtlSeconds)
        {
            throw Invalid($"lease TTL {ttl} is out of range (1 s to {MaxLeaseTtlSeconds} s)");
        }

        return seconds;
    }

    private static long ValidateBranch(IReadOnlyList<TxnOp> ops)
    {
        long size = 0;
        for (var i = 0; i < ops.Count; i++)
        {
            switch (ops[i])
            {
                case PutOp put:
                    ValidatePut(put.Key, put.Value, put.LeaseId);
                    size += put.Key.Length + put.Value.Length;
                    EnsureNoOverlap(ops, i, put.Key);
                    break;
                case DeleteOp delete:
                    ValidateRange(delete.Keys);
                    size += delete.Keys.Start.Length + (delete.Keys.End?.Length ?? 0);
                    break;
                case RangeOp range:
                    ValidateRange(range.Keys);
                    size += range.Keys.Start.Length + (range.Keys.End?.Length ?? 0);
                    break;
            }
        }

        return size;
    }

    /// <summary>etcd refuses a branch that writes one key twice (two puts, or a put inside a deleted range).</summary>
    private static void EnsureNoOverlap(IReadOnlyList<TxnOp> ops, int putIndex, byte[] key)
    {
        for (var j = 0; j < ops.Count; j++)
        {
            var overlaps = ops[j] switch
            {
                PutOp other => j > putIndex && other.Key.AsSpan().SequenceEqual(key),
                DeleteOp delete => delete.Keys.Contains(key),
                _ => false,
            };
            if (overlaps)
            {
                throw Invalid("duplicate key given in txn request");
            }
        }
    }

    private static void ValidateKey(byte[] key)
    {
        if (key.Length == 0)
        {
            throw Invalid("key is not provided (empty key)");
        }
    }

    private static CoordinationException Invalid(string message) => new(CoordinationError.InvalidArgument, message);
}
