using System.Buffers.Binary;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>
/// The Huffman code of RFC 7541 Appendix B. It is canonical (codes of one length are consecutive, in symbol order,
/// and each length starts where the previous one ended, shifted left), so the table below holds only the code
/// lengths and the codes are derived from them once.
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;
    private const int MaxCodeLength = 30;

    // Codes up to this long decode with one lookup; longer ones (rare bytes) walk the canonical ranges.
    private const int FastBits = 11;

    // A decoding entry: the first symbol in bits 0..7 and its code length from FirstLengthShift. When a second
    // whole code follows within the FastBits window (two 5- or 6-bit codes, typically) the entry holds that symbol
    // in bits 8..15, the PairShift bit, and the combined length from TotalLengthShift: two symbols per lookup
    // shorten the chain of dependent loads. DecodeLong's entries mark EOS with EosFlag.
    private const int FirstLengthShift = 16;
    private const int TotalLengthShift = 21;
    private const int PairShift = 26;
    private const uint EosFlag = 1u << 27;

    // The length, in bits, of the code for each symbol 0..255 and EOS (256), from RFC 7541 Appendix B.
    private static ReadOnlySpan<byte> CodeLengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, //   0..15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, //  16..31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, //          ' ' ! " # $ % & ' ( ) * + , - . /
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, //              0..9 : ; < = > ?
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, //                 @ A..O
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, //              P..Z [ \ ] ^ _
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, //                 ` a..o
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, //             p..z { | } ~ DEL
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128..143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144..159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160..175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176..191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192..207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208..223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224..239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240..255
        30, //                                                             EOS
    ];

    // Canonical ranges per code length: codes of length L are First[L] .. First[L] + CountOf[L] - 1, and the
    // symbol for code c is Sorted[Offset[L] + c - First[L]].
    private static readonly uint[] First = new uint[MaxCodeLength + 1];
    private static readonly int[] CountOf = new int[MaxCodeLength + 1];
    private static readonly int[] Offset = new int[MaxCodeLength + 1];
    private static readonly ushort[] Sorted = new ushort[Eos + 1];
    private static readonly uint[] Codes = BuildCanonical();

    // Fast is indexed by the next FastBits bits, and holds 0 when they start a longer code.
    private static readonly uint[] Fast = BuildFast();

    /// <summary>Decodes <paramref name="src"/> into <paramref name="dest"/>; returns the byte count, or -1 when
    /// <paramref name="dest"/> is too small. Throws <see cref="HpackException"/> on EOS or invalid padding (§5.2).
    /// Bytes of <paramref name="dest"/> past the returned count may be overwritten.</summary>
    public static int Decode(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        var fast = Fast;
        ulong bits = 0; // unread bits, most significant first; bits below `count` are zero or the next input bits
        var count = 0;
        var next = 0;
        var written = 0;
        while (true)
        {
            if (src.Length - next >= 8)
            {
                // Top up with whole bytes; a partial byte's bits may land below `count`, and are read again later.
                bits |= BinaryPrimitives.ReadUInt64BigEndian(src[next..]) >> count;
                var bytes = (64 - count) >> 3;
                next += bytes;
                count += bytes << 3;
            }
            else
            {
                while (count <= 56 && next < src.Length)
                {
                    bits |= (ulong)src[next++] << (56 - count);
                    count += 8;
                }
            }

            // With at least MaxCodeLength bits buffered, a whole code is always available. This loop handles the
            // codes of the fast table while two bytes fit in dest; it has no calls, so its state stays in registers.
            while (count >= MaxCodeLength)
            {
                var entry = fast[(int)(bits >> (64 - FastBits))];
                if (entry == 0 || (uint)(written + 1) >= (uint)dest.Length)
                {
                    break;
                }

                // Both bytes are stored even for a one-symbol entry: dest past the result is scratch.
                dest[written] = (byte)entry;
                dest[written + 1] = (byte)(entry >> 8);
                written += 1 + (int)(entry >> PairShift);
                var length = (int)(entry >> TotalLengthShift) & 0x1F;
                bits <<= length;
                count -= length;
            }

            if (count >= MaxCodeLength)
            {
                // A code longer than FastBits, or dest nearly full: one symbol at a time.
                var entry = fast[(int)(bits >> (64 - FastBits))];
                if (entry == 0)
                {
                    entry = DecodeLong(bits);
                    if (entry >= EosFlag)
                    {
                        throw new HpackException("Huffman-coded string contains EOS.");
                    }
                }

                if ((uint)written >= (uint)dest.Length)
                {
                    return -1;
                }

                dest[written++] = (byte)entry;
                var length = (int)(entry >> FirstLengthShift) & 0x1F;
                bits <<= length;
                count -= length;
                continue;
            }

            if (next == src.Length)
            {
                return DecodeTail(bits, count, dest, written);
            }
        }
    }

    /// <summary>Encodes <paramref name="src"/>, padding the last byte with ones; returns the byte count, or -1 when
    /// <paramref name="dest"/> is too small.</summary>
    public static int Encode(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        var codes = Codes;
        var lengths = CodeLengths;
        ulong bits = 0; // the low `count` bits are pending output; anything above them is stale
        var count = 0;
        var written = 0;
        foreach (var b in src)
        {
            int length = lengths[b];
            bits = (bits << length) | codes[b];
            count += length;
            while (count >= 8)
            {
                if ((uint)written >= (uint)dest.Length)
                {
                    return -1;
                }

                count -= 8;
                dest[written++] = (byte)(bits >> count);
            }
        }

        if (count > 0)
        {
            if ((uint)written >= (uint)dest.Length)
            {
                return -1;
            }

            dest[written++] = (byte)((bits << (8 - count)) | (0xFFu >> count));
        }

        return written;
    }

    /// <summary>The number of bytes <see cref="Encode"/> writes for <paramref name="src"/>.</summary>
    public static int EncodedLength(ReadOnlySpan<byte> src)
    {
        var lengths = CodeLengths;
        long total = 0;
        foreach (var b in src)
        {
            total += lengths[b];
        }

        return checked((int)((total + 7) >> 3));
    }

    /// <summary>Decodes the last, fewer than MaxCodeLength, bits; the bits below <paramref name="count"/> are zero.</summary>
    private static int DecodeTail(ulong bits, int count, Span<byte> dest, int written)
    {
        while (count > 0)
        {
            var entry = Fast[(int)(bits >> (64 - FastBits))];
            if (entry == 0)
            {
                entry = DecodeLong(bits);
            }

            var length = (int)(entry >> FirstLengthShift) & 0x1F;
            if (length > count)
            {
                // Not a whole code: valid only as padding, a prefix of EOS (all ones) shorter than a byte.
                if (count > 7 || bits != ~0UL << (64 - count))
                {
                    throw new HpackException("Invalid Huffman padding.");
                }

                break;
            }

            if (entry >= EosFlag)
            {
                throw new HpackException("Huffman-coded string contains EOS.");
            }

            if ((uint)written >= (uint)dest.Length)
            {
                return -1;
            }

            dest[written++] = (byte)entry;
            bits <<= length;
            count -= length;
        }

        return written;
    }

    /// <summary>Decodes a code longer than FastBits, returning a one-symbol entry (EOS flagged).</summary>
    private static uint DecodeLong(ulong bits)
    {
        for (var length = FastBits + 1; length <= MaxCodeLength; length++)
        {
            var delta = (uint)(bits >> (64 - length)) - First[length];
            if (delta < (uint)CountOf[length])
            {
                var symbol = (uint)Sorted[Offset[length] + (int)delta];
                var entry = ((uint)length << FirstLengthShift) | ((uint)length << TotalLengthShift);
                return symbol == Eos ? entry | EosFlag : entry | symbol;
            }
        }

        // Unreachable: the code is complete, so every 30-bit sequence starts with some code.
        throw new HpackException("Invalid Huffman code.");
    }

    private static uint[] BuildCanonical()
    {
        var lengths = CodeLengths;
        foreach (var length in lengths)
        {
            CountOf[length]++;
        }

        uint code = 0;
        var offset = 0;
        for (var length = 1; length <= MaxCodeLength; length++)
        {
            code = (code + (uint)CountOf[length - 1]) << 1;
            First[length] = code;
            Offset[length] = offset;
            offset += CountOf[length];
        }

        var codes = new uint[Eos + 1];
        var nextCode = (uint[])First.Clone();
        var nextSlot = (int[])Offset.Clone();
        for (var symbol = 0; symbol <= Eos; symbol++)
        {
            var length = lengths[symbol];
            codes[symbol] = nextCode[length]++;
            Sorted[nextSlot[length]++] = (ushort)symbol;
        }

        return codes;
    }

    private static uint[] BuildFast()
    {
        var lengths = CodeLengths;
        var table = new uint[1 << FastBits];
        for (var first = 0; first < Eos; first++)
        {
            var firstLength = lengths[first];
            if (firstLength > FastBits)
            {
                continue;
            }

            var firstBits = (int)Codes[first] << (FastBits - firstLength);
            var single = (uint)first | ((uint)firstLength << FirstLengthShift) | ((uint)firstLength << TotalLengthShift);
            table.AsSpan(firstBits, 1 << (FastBits - firstLength)).Fill(single);
            for (var second = 0; second < Eos; second++)
            {
                var total = firstLength + lengths[second];
                if (total > FastBits)
                {
                    continue;
                }

                var start = firstBits | ((int)Codes[second] << (FastBits - total));
                var pair = (uint)first | ((uint)second << 8) | ((uint)firstLength << FirstLengthShift) | ((uint)total << TotalLengthShift) | (1u << PairShift);
                table.AsSpan(start, 1 << (FastBits - total)).Fill(pair);
            }
        }

        return table;
    }
}
