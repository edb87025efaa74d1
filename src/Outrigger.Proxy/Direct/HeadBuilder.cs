using System.Runtime.CompilerServices;
using System.Text;

namespace Outrigger.Proxy.Direct;

/// <summary>A growable byte buffer a message head is written into, reused for every message of a connection.</summary>
internal sealed class HeadBuilder
{
    private byte[] _buffer;

    public HeadBuilder(int capacity) => _buffer = GC.AllocateUninitializedArray<byte>(capacity);

    public int Length { get; set; }

    public Memory<byte> Written => _buffer.AsMemory(0, Length);

    /// <summary>The buffer itself (its first <see cref="Length"/> bytes are written), for a parser that reads arrays.</summary>
    public byte[] Bytes => _buffer;

    public void Clear() => Length = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    public void Append(string ascii)
    {
        Length += Encoding.ASCII.GetBytes(ascii, Reserve(ascii.Length));
    }

    public void Append(long value)
    {
        value.TryFormat(Reserve(20), out var written);
        Length += written;
    }

    /// <summary>Makes room for <paramref name="count"/> more bytes and returns it (the caller then advances <see cref="Length"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Reserve(int count)
    {
        if (Length + count > _buffer.Length)
        {
            Grow(count);
        }

        return _buffer.AsSpan(Length, count);
    }

    /// <summary>Appends <c>name: value CRLF</c>.</summary>
    public void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var line = Reserve(name.Length + value.Length + 4);
        name.CopyTo(line);
        line[name.Length] = (byte)':';
        line[name.Length + 1] = (byte)' ';
        value.CopyTo(line[(name.Length + 2)..]);
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        Length += line.Length;
    }

    public void Field(ReadOnlySpan<byte> name, string value)
    {
        Append(name);
        Append(": "u8);
        Append(value);
        Append("\r\n"u8);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count) => Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
}
