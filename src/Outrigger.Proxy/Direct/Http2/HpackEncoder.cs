namespace Outrigger.Proxy.Direct.Http2;

/// <summary>
/// Writes response fields without touching a dynamic table (we advertise none to the peer's decoder to manage), so
/// the encoder is stateless. Strings are sent as plain octets: Huffman coding saves bytes but costs CPU per field.
/// </summary>
internal static class HpackEncoder
{
    private const int StatusNameIndex = 8;

    /// <summary>Writes <c>:status</c>, indexed when the static table has it, else as a literal without indexing.
    /// Returns the bytes written, or -1 when <paramref name="dest"/> is too small.</summary>
    public static int WriteStatus(int status, Span<byte> dest)
    {
        var index = status switch
        {
            200 => 8,
            204 => 9,
            206 => 10,
            304 => 11,
            400 => 12,
            404 => 13,
            500 => 14,
            _ => 0,
        };
        if (index != 0)
        {
            if (dest.IsEmpty)
            {
                return -1;
            }

            dest[0] = (byte)(0x80 | index);
            return 1;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(status, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 999);
        if (dest.Length < 5)
        {
            return -1;
        }

        dest[0] = StatusNameIndex; // 0000xxxx: literal without indexing, indexed name
        dest[1] = 3;
        dest[2] = (byte)('0' + (status / 100));
        dest[3] = (byte)('0' + (status / 10 % 10));
        dest[4] = (byte)('0' + (status % 10));
        return 5;
    }

    /// <summary>Writes a literal field without indexing (§6.2.2), naming it by static index when possible and
    /// lowercasing a literal name. Returns the bytes written, or -1 when <paramref name="dest"/> is too small.</summary>
    public static int WriteField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, Span<byte> dest)
    {
        int pos;
        var index = HpackStaticTable.IndexOfName(name);
        if (index != 0)
        {
            pos = WriteInteger(index, 4, dest);
        }
        else
        {
            if (dest.IsEmpty)
            {
                return -1;
            }

            dest[0] = 0;
            pos = WriteLowercase(name, dest[1..]);
            pos = pos < 0 ? -1 : pos + 1;
        }

        if (pos < 0)
        {
            return -1;
        }

        var written = WriteInteger(value.Length, 7, dest[pos..]);
        if (written < 0 || dest.Length - pos - written < value.Length)
        {
            return -1;
        }

        pos += written;
        value.CopyTo(dest[pos..]);
        return pos + value.Length;
    }

    /// <summary>The most bytes <see cref="WriteField"/> can need for a name and value of these lengths.</summary>
    public static int MaxFieldLength(int nameLength, int valueLength) =>
        1 + IntegerLength(nameLength, 7) + nameLength + IntegerLength(valueLength, 7) + valueLength;

    private static int WriteLowercase(ReadOnlySpan<byte> name, Span<byte> dest)
    {
        var pos = WriteInteger(name.Length, 7, dest);
        if (pos < 0 || dest.Length - pos < name.Length)
        {
            return -1;
        }

        var target = dest.Slice(pos, name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var b = name[i];
            target[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
        }

        return pos + name.Length;
    }

    /// <summary>Writes an integer with an N-bit prefix (§5.1), the high bits of the first byte zero (H = 0 for
    /// string lengths, the 0000 pattern for literals without indexing).</summary>
    private static int WriteInteger(int value, int prefixBits, Span<byte> dest)
    {
        var mask = (1 << prefixBits) - 1;
        if (dest.IsEmpty)
        {
            return -1;
        }

        if (value < mask)
        {
            dest[0] = (byte)value;
            return 1;
        }

        dest[0] = (byte)mask;
        var rest = (uint)(value - mask);
        var pos = 1;
        while (true)
        {
            if (pos >= dest.Length)
            {
                return -1;
            }

            if (rest < 0x80)
            {
                dest[pos++] = (byte)rest;
                return pos;
            }

            dest[pos++] = (byte)(rest | 0x80);
            rest >>= 7;
        }
    }

    private static int IntegerLength(int value, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            return 1;
        }

        var length = 2;
        for (var rest = (uint)(value - mask); rest >= 0x80; rest >>= 7)
        {
            length++;
        }

        return length;
    }
}
