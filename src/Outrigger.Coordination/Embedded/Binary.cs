using System.Buffers;

namespace Outrigger.Coordination.Embedded;

/// <summary>Writes the embedded store's on-disk encoding: zig-zag varints and length-prefixed byte strings.</summary>
internal sealed class BinaryEncoder(ArrayBufferWriter<byte> buffer)
{
    public ArrayBufferWriter<byte> Buffer => buffer;

    public void Byte(byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Long(long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var span = buffer.GetSpan(10);
        var n = 0;
        while (zigzag >= 0x80)
        {
            span[n++] = (byte)(zigzag | 0x80);
            zigzag >>= 7;
        }

        span[n++] = (byte)zigzag;
        buffer.Advance(n);
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Long(value.Length);
        buffer.Write(value);
    }
}

/// <summary>Reads what <see cref="BinaryEncoder"/> wrote; throws <see cref="InvalidDataException"/> on malformed input.</summary>
internal ref struct BinaryDecoder(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public byte Byte()
    {
        if (_position >= _data.Length)
        {
            throw new InvalidDataException("unexpected end of record");
        }

        return _data[_position++];
    }

    public bool Bool() => Byte() != 0;

    public long Long()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Byte();
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return (long)(result >> 1) ^ -(long)(result & 1);
            }
        }

        throw new InvalidDataException("malformed varint");
    }

    public int Int()
    {
        var value = Long();
        return value is < 0 or > int.MaxValue ? throw new InvalidDataException($"bad length {value}") : (int)value;
    }

    public byte[] Bytes()
    {
        var length = Int();
        if (length > _data.Length - _position)
        {
            throw new InvalidDataException("byte string runs past the end of the record");
        }

        var value = _data.Slice(_position, length).ToArray();
        _position += length;
        return value;
    }
}
