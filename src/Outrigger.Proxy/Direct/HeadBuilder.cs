using System.Text;

namespace Outrigger.Proxy.Direct;

/// <summary>A growable byte buffer a message head is written into, reused for every message of a connection.</summary>
internal sealed class HeadBuilder
{
    private byte[] _buffer;

    public HeadBuilder(int capacity) => _buffer = GC.AllocateUninitializedArray<byte>(capacity);

    public int Length { get; set; }

    public Memory<byte> Written => _buffer.AsMemory(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    public void Append(string ascii)
    {
        Reserve(ascii.Length);
        Length += Encoding.ASCII.GetBytes(ascii, _buffer.AsSpan(Length));
    }

    public void Append(long value)
    {
        Reserve(20);
        value.TryFormat(_buffer.AsSpan(Length), out var written);
        Length += written;
    }

    /// <summary>Makes room for <paramref name="count"/> more bytes and returns it (the caller then advances <see cref="Length"/>).</summary>
    public Span<byte> Reserve(int count)
    {
        if (Length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        return _buffer.AsSpan(Length, count);
    }

    public void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Append(name);
        Append(": "u8);
        Append(value);
        Append("\r\n"u8);
    }

    public void Field(ReadOnlySpan<byte> name, string value)
    {
        Append(name);
        Append(": "u8);
        Append(value);
        Append("\r\n"u8);
    }
}
