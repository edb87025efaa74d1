namespace Outrigger.Coordination.Embedded;

/// <summary>Orders and hashes keys as bytes (etcd's order). <see cref="Infinity"/> sorts after every key.</summary>
internal sealed class ByteKeys : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static readonly ByteKeys Instance = new();

    /// <summary>A sentinel greater than every key (compared by reference).</summary>
    public static readonly byte[] Infinity = [0xff, 0xff, 0xff, 0xff];

    public int Compare(byte[]? x, byte[]? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (ReferenceEquals(x, Infinity))
        {
            return 1;
        }

        if (ReferenceEquals(y, Infinity))
        {
            return -1;
        }

        return x.AsSpan().SequenceCompareTo(y);
    }

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
