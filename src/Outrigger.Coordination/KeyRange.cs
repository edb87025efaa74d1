using System.Text;

namespace Outrigger.Coordination;

/// <summary>
/// A key or a half-open range of keys <c>[Start, End)</c> in byte order of their UTF-8 encoding, as etcd's
/// <c>key</c>/<c>range_end</c> pair: no end means the single key <c>Start</c>; an end of <c>"\0"</c> means every key
/// from <c>Start</c> on.
/// </summary>
public readonly struct KeyRange : IEquatable<KeyRange>
{
    private static readonly byte[] ToEndMarker = [0];

    private KeyRange(byte[] start, byte[]? end)
    {
        Start = start;
        End = end;
    }

    /// <summary>Every key in the store.</summary>
    public static KeyRange All => new([0], ToEndMarker);

    internal byte[] Start { get; }

    /// <summary>Exclusive end; null for a single key; <c>[0]</c> for "to the end of the key space".</summary>
    internal byte[]? End { get; }

    internal bool IsSingleKey => End is null;

    internal bool IsToEnd => End is [0];

    public static KeyRange Single(string key) => new(Encoding.UTF8.GetBytes(key), null);

    /// <summary>Every key that starts with <paramref name="prefix"/>.</summary>
    public static KeyRange Prefix(string prefix)
    {
        var start = Encoding.UTF8.GetBytes(prefix);
        return new KeyRange(start.Length == 0 ? [0] : start, PrefixEnd(start));
    }

    /// <summary>Keys from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    public static KeyRange Between(string start, string end) => new(Encoding.UTF8.GetBytes(start), Encoding.UTF8.GetBytes(end));

    /// <summary>Every key from <paramref name="start"/> (inclusive) on.</summary>
    public static KeyRange From(string start) => new(Encoding.UTF8.GetBytes(start), ToEndMarker);

    internal static KeyRange FromBytes(byte[] start, byte[]? end) => new(start, end);

    /// <summary>Whether <paramref name="key"/> lies in this range.</summary>
    internal bool Contains(ReadOnlySpan<byte> key)
    {
        var fromStart = key.SequenceCompareTo(Start);
        if (End is null)
        {
            return fromStart == 0;
        }

        return fromStart >= 0 && (IsToEnd || key.SequenceCompareTo(End) < 0);
    }

    /// <summary>The smallest key greater than every key with this prefix (etcd's <c>GetPrefixRangeEnd</c>).</summary>
    private static byte[] PrefixEnd(byte[] prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix[..(i + 1)];
                end[i]++;
                return end;
            }
        }

        return ToEndMarker;
    }

    public bool Equals(KeyRange other) =>
        Start.AsSpan().SequenceEqual(other.Start) && (End is null ? other.End is null : other.End is not null && End.AsSpan().SequenceEqual(other.End));

    public override bool Equals(object? obj) => obj is KeyRange other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Start.Length, End?.Length ?? -1);

    public static bool operator ==(KeyRange left, KeyRange right) => left.Equals(right);

    public static bool operator !=(KeyRange left, KeyRange right) => !left.Equals(right);

    public override string ToString()
    {
        var start = Encoding.UTF8.GetString(Start);
        return End switch
        {
            null => start,
            [0] => $"[{start}, end)",
            _ => $"[{start}, {Encoding.UTF8.GetString(End)})",
        };
    }
}
