using System.Text;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// A connection's memory of the field names and values it received, so that responses repeating them (the common case:
/// the same upstream sends the same <c>Server</c>, <c>Content-Type</c>, custom headers…) cost no string allocations.
/// Known names come from <see cref="Http1KnownHeaders"/>; up to eight other names are remembered, round-robin, with their
/// exact casing. Values are reused only when byte-for-byte equal (ASCII).
/// </summary>
internal sealed class Http1FieldCache
{
    private const int OtherSlots = 8;

    private readonly string?[] _knownValues = new string?[Http1KnownHeaders.Names.Length];
    private readonly string?[] _otherNames = new string?[OtherSlots];
    private readonly string?[] _otherValues = new string?[OtherSlots];
    private int _nextSlot;

    /// <summary>The strings for a field; returns its known id or -1.</summary>
    public int Get(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, out string nameText, out string valueText)
    {
        var id = Http1KnownHeaders.Find(name);
        if (id >= 0)
        {
            nameText = Http1KnownHeaders.Names[id];
            valueText = Reuse(ref _knownValues[id], value);
            return id;
        }

        var slot = FindOther(name);
        if (slot < 0)
        {
            slot = _nextSlot;
            _nextSlot = (_nextSlot + 1) % OtherSlots;
            _otherNames[slot] = Encoding.ASCII.GetString(name);
            _otherValues[slot] = null;
        }

        nameText = _otherNames[slot]!;
        valueText = Reuse(ref _otherValues[slot], value);
        return -1;
    }

    private static string Reuse(ref string? last, ReadOnlySpan<byte> value)
    {
        if (last is not null && Ascii.Equals(value, last))
        {
            return last;
        }

        return last = Encoding.Latin1.GetString(value);
    }

    private int FindOther(ReadOnlySpan<byte> name)
    {
        for (var slot = 0; slot < OtherSlots; slot++)
        {
            if (_otherNames[slot] is { } known && known.Length == name.Length && Ascii.Equals(name, known))
            {
                return slot;
            }
        }

        return -1;
    }
}
