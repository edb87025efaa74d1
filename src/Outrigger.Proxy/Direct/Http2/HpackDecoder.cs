using System.Numerics;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>Receives each decoded field; the spans are valid only during the call.</summary>
internal interface IHpackHandler
{
    void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) for one connection, keeping its dynamic table. Indexed fields and
/// plain literals are handed to the handler without copying; Huffman-coded strings go through reusable scratch
/// buffers, and only an insertion into the dynamic table allocates.
/// </summary>
internal sealed class HpackDecoder
{
    private const int EntryOverhead = 32; // §4.1
    private const int MaxIntegerContinuations = 5;

    private readonly int _maxTableSize;
    private readonly int _maxStringLength;

    // The dynamic table as a ring: _entries[_newest] is index 62, the one before it 63, and so on (§2.3.3).
    private readonly Entry[] _entries;
    private int _newest;
    private int _count;
    private int _size;
    private int _capacity; // the current maximum size (§4.2), changed by dynamic table size updates

    private byte[] _nameScratch = [];
    private byte[] _valueScratch = [];

    /// <param name="maxTableSize">The SETTINGS_HEADER_TABLE_SIZE advertised to the peer; the table starts at this size
    /// and a dynamic table size update above it is an error.</param>
    /// <param name="maxStringLength">A decoded name or value longer than this is an error.</param>
    public HpackDecoder(int maxTableSize = 4096, int maxStringLength = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxStringLength);
        _maxTableSize = maxTableSize;
        _maxStringLength = maxStringLength;
        _capacity = maxTableSize;
        _entries = new Entry[Math.Max(1, maxTableSize / EntryOverhead)];
    }

    /// <summary>The current size of the dynamic table per §4.1 (the sum of name + value + 32 over its entries).</summary>
    public int DynamicTableSize => _size;

    /// <summary>Decodes one complete header block, calling <paramref name="handler"/> for each field in order.</summary>
    /// <exception cref="HpackException">The block is malformed.</exception>
    public void Decode(ReadOnlySpan<byte> block, IHpackHandler handler)
    {
        var pos = 0;
        var sawField = false;
        while (pos < block.Length)
        {
            var first = block[pos];
            if ((first & 0x80) != 0)
            {
                // §6.1 indexed header field
                GetField(ReadInteger(block, ref pos, 7), out var name, out var value);
                handler.OnField(name, value);
                sawField = true;
            }
            else if ((first & 0x40) != 0)
            {
                // §6.2.1 literal with incremental indexing
                ReadLiteral(block, ref pos, 6, out var name, out var value);
                handler.OnField(name, value);
                Insert(name, value);
                sawField = true;
            }
            else if ((first & 0x20) != 0)
            {
                // §6.3 dynamic table size update: only before the first field (§4.2)
                if (sawField)
                {
                    throw new HpackException("Dynamic table size update after a header field.");
                }

                var size = ReadInteger(block, ref pos, 5);
                if (size > _maxTableSize)
                {
                    throw new HpackException("Dynamic table size update above SETTINGS_HEADER_TABLE_SIZE.");
                }

                _capacity = size;
                EvictTo(size);
            }
            else
            {
                // §6.2.2 without indexing (0000xxxx), §6.2.3 never indexed (0001xxxx)
                ReadLiteral(block, ref pos, 4, out var name, out var value);
                handler.OnField(name, value);
                sawField = true;
            }
        }
    }

    private void ReadLiteral(ReadOnlySpan<byte> block, ref int pos, int prefixBits, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var nameIndex = ReadInteger(block, ref pos, prefixBits);
        if (nameIndex == 0)
        {
            name = ReadString(block, ref pos, ref _nameScratch);
        }
        else
        {
            GetField(nameIndex, out name, out _);
        }

        value = ReadString(block, ref pos, ref _valueScratch);
    }

    private void GetField(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        if ((uint)(index - 1) < HpackStaticTable.Count)
        {
            name = HpackStaticTable.Name(index);
            value = HpackStaticTable.Value(index);
            return;
        }

        var age = index - HpackStaticTable.Count - 1;
        if (index == 0 || (uint)age >= (uint)_count)
        {
            throw new HpackException(index == 0 ? "Header field index 0." : "Header field index beyond the tables.");
        }

        var slot = _newest - age;
        var entry = _entries[slot < 0 ? slot + _entries.Length : slot];
        name = entry.Data.AsSpan(0, entry.NameLength);
        value = entry.Data.AsSpan(entry.NameLength);
    }

    private ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> block, ref int pos, ref byte[] scratch)
    {
        if (pos >= block.Length)
        {
            throw new HpackException("Truncated string literal.");
        }

        var huffman = (block[pos] & 0x80) != 0;
        var length = ReadInteger(block, ref pos, 7);
        if (length > block.Length - pos)
        {
            throw new HpackException("Truncated string literal.");
        }

        var raw = block.Slice(pos, length);
        pos += length;
        if (!huffman)
        {
            return length <= _maxStringLength ? raw : throw new HpackException("String literal longer than the limit.");
        }

        // Each symbol takes at least 5 bits, which bounds the decoded length.
        var bound = (int)Math.Min(length * 8L / 5, _maxStringLength);
        if (scratch.Length < bound)
        {
            scratch = new byte[Math.Min(BitOperations.RoundUpToPowerOf2((uint)bound), (uint)_maxStringLength)];
        }

        var decoded = HpackHuffman.Decode(raw, scratch.AsSpan(0, bound));
        return decoded >= 0 ? scratch.AsSpan(0, decoded) : throw new HpackException("String literal longer than the limit.");
    }

    /// <summary>Reads an integer with an N-bit prefix (§5.1); the caller has checked that block[pos] exists.</summary>
    private static int ReadInteger(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        var value = block[pos++] & mask;
        if (value < mask)
        {
            return value;
        }

        var result = (ulong)value;
        for (var i = 0; i < MaxIntegerContinuations; i++)
        {
            if (pos >= block.Length)
            {
                throw new HpackException("Truncated integer.");
            }

            var b = block[pos++];
            result += (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return result <= int.MaxValue ? (int)result : throw new HpackException("Integer overflow.");
            }
        }

        throw new HpackException("Integer overflow.");
    }

    private void Insert(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var size = name.Length + value.Length + EntryOverhead;
        if (size > _capacity)
        {
            EvictTo(0); // §4.4: an entry larger than the table empties it and is not added
            return;
        }

        // Copy before evicting: the name may belong to an entry about to be evicted.
        var data = new byte[name.Length + value.Length];
        name.CopyTo(data);
        value.CopyTo(data.AsSpan(name.Length));
        EvictTo(_capacity - size);
        _newest = _newest + 1 == _entries.Length ? 0 : _newest + 1;
        _entries[_newest] = new Entry(data, name.Length);
        _count++;
        _size += size;
    }

    private void EvictTo(int size)
    {
        while (_size > size)
        {
            var slot = _newest - (_count - 1);
            if (slot < 0)
            {
                slot += _entries.Length;
            }

            _size -= _entries[slot].Data.Length + EntryOverhead;
            _entries[slot] = default;
            _count--;
        }
    }

    private readonly struct Entry(byte[] data, int nameLength)
    {
        public byte[] Data { get; } = data;

        public int NameLength { get; } = nameLength;
    }
}
