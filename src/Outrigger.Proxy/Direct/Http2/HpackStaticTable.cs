using System.Text;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>The static table of RFC 7541 Appendix A. Indices are 1-based, as on the wire.</summary>
internal static class HpackStaticTable
{
    public const int Count = 61;

    private static readonly (byte[] Name, byte[] Value)[] Entries =
    [
        E(":authority"u8),
        E(":method"u8, "GET"u8),
        E(":method"u8, "POST"u8),
        E(":path"u8, "/"u8),
        E(":path"u8, "/index.html"u8),
        E(":scheme"u8, "http"u8),
        E(":scheme"u8, "https"u8),
        E(":status"u8, "200"u8),
        E(":status"u8, "204"u8),
        E(":status"u8, "206"u8),
        E(":status"u8, "304"u8),
        E(":status"u8, "400"u8),
        E(":status"u8, "404"u8),
        E(":status"u8, "500"u8),
        E("accept-charset"u8),
        E("accept-encoding"u8, "gzip, deflate"u8),
        E("accept-language"u8),
        E("accept-ranges"u8),
        E("accept"u8),
        E("access-control-allow-origin"u8),
        E("age"u8),
        E("allow"u8),
        E("authorization"u8),
        E("cache-control"u8),
        E("content-disposition"u8),
        E("content-encoding"u8),
        E("content-language"u8),
        E("content-length"u8),
        E("content-location"u8),
        E("content-range"u8),
        E("content-type"u8),
        E("cookie"u8),
        E("date"u8),
        E("etag"u8),
        E("expect"u8),
        E("expires"u8),
        E("from"u8),
        E("host"u8),
        E("if-match"u8),
        E("if-modified-since"u8),
        E("if-none-match"u8),
        E("if-range"u8),
        E("if-unmodified-since"u8),
        E("last-modified"u8),
        E("link"u8),
        E("location"u8),
        E("max-forwards"u8),
        E("proxy-authenticate"u8),
        E("proxy-authorization"u8),
        E("range"u8),
        E("referer"u8),
        E("refresh"u8),
        E("retry-after"u8),
        E("server"u8),
        E("set-cookie"u8),
        E("strict-transport-security"u8),
        E("transfer-encoding"u8),
        E("user-agent"u8),
        E("vary"u8),
        E("via"u8),
        E("www-authenticate"u8),
    ];

    // For each name length, the first index of every distinct name of that length (the encoder's lookup).
    private static readonly int[][] IndicesByLength = BuildIndicesByLength();

    /// <summary>The name of entry <paramref name="index"/> (1..61).</summary>
    public static ReadOnlySpan<byte> Name(int index) => Entries[index - 1].Name;

    /// <summary>The value of entry <paramref name="index"/> (1..61); empty for name-only entries.</summary>
    public static ReadOnlySpan<byte> Value(int index) => Entries[index - 1].Value;

    /// <summary>The first index whose name equals <paramref name="name"/> ignoring ASCII case, or 0 when none does.</summary>
    public static int IndexOfName(ReadOnlySpan<byte> name)
    {
        if (name.Length >= IndicesByLength.Length)
        {
            return 0;
        }

        // The table's names are lower case: a first byte that differs even when lowered rules a name out cheaply.
        var first = name.IsEmpty ? 0 : name[0] | 0x20;
        foreach (var index in IndicesByLength[name.Length])
        {
            var candidate = Entries[index - 1].Name;
            if (first == candidate[0] && Ascii.EqualsIgnoreCase(name, candidate))
            {
                return index;
            }
        }

        return 0;
    }

    private static (byte[] Name, byte[] Value) E(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value = default) => (name.ToArray(), value.ToArray());

    private static int[][] BuildIndicesByLength()
    {
        var maxLength = 0;
        foreach (var (name, _) in Entries)
        {
            maxLength = Math.Max(maxLength, name.Length);
        }

        var lists = new List<int>[maxLength + 1];
        for (var index = 1; index <= Count; index++)
        {
            var name = Entries[index - 1].Name;
            if (index > 1 && name.AsSpan().SequenceEqual(Entries[index - 2].Name))
            {
                continue;
            }

            (lists[name.Length] ??= []).Add(index);
        }

        var result = new int[maxLength + 1][];
        for (var length = 0; length <= maxLength; length++)
        {
            result[length] = lists[length]?.ToArray() ?? [];
        }

        return result;
    }
}
