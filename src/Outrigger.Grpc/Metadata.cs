using System.Collections;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc;

/// <summary>
/// Request headers, response headers or trailers of a call: an ordered multi-map. Keys are lower-case ASCII
/// (<c>0-9 a-z - _ .</c>); keys ending in <c>-bin</c> carry bytes (base64 on the wire), the others printable ASCII.
/// </summary>
public sealed class Metadata : IReadOnlyList<Metadata.Entry>
{
    public const string BinaryHeaderSuffix = "-bin";

    /// <summary>An empty, read-only instance.</summary>
    public static readonly Metadata Empty = new() { _readOnly = true };

    private readonly List<Entry> _entries = [];
    private bool _readOnly;

    public int Count => _entries.Count;

    public Entry this[int index] => _entries[index];

    /// <summary>Adds an ASCII entry. Throws <see cref="ArgumentException"/> for an invalid key or value.</summary>
    public Metadata Add(string key, string value)
    {
        Add(new Entry(key, value));
        return this;
    }

    /// <summary>Adds a binary entry; <paramref name="key"/> must end in <c>-bin</c>.</summary>
    public Metadata Add(string key, byte[] value)
    {
        Add(new Entry(key, value));
        return this;
    }

    public void Add(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_readOnly)
        {
            throw new InvalidOperationException("This metadata is read-only.");
        }

        _entries.Add(entry);
    }

    /// <summary>The last entry with <paramref name="key"/>, or null.</summary>
    public Entry? Get(string key)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return _entries[i];
            }
        }

        return null;
    }

    public string? GetValue(string key) => Get(key)?.Value;

    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public IEnumerable<Entry> GetAll(string key)
    {
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                yield return entry;
            }
        }
    }

    public bool Remove(Entry entry) => !_readOnly && _entries.Remove(entry);

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One key with an ASCII or a binary value.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _bytes;

        public Entry(string key, string value)
        {
            Key = MetadataValidation.NormalizeKey(key);
            if (IsBinary)
            {
                throw new ArgumentException($"Metadata key '{Key}' ends in '-bin' and takes a byte[] value.", nameof(value));
            }

            _value = MetadataValidation.CheckAsciiValue(Key, value);
        }

        public Entry(string key, byte[] value)
        {
            ArgumentNullException.ThrowIfNull(value);
            Key = MetadataValidation.NormalizeKey(key);
            if (!IsBinary)
            {
                throw new ArgumentException($"Metadata key '{Key}' takes a string value; binary keys end in '-bin'.", nameof(value));
            }

            _bytes = value;
        }

        public string Key { get; }

        public bool IsBinary => Key.EndsWith(BinaryHeaderSuffix, StringComparison.Ordinal);

        /// <summary>The ASCII value; for a binary entry, throws.</summary>
        public string Value => _value ?? throw new InvalidOperationException($"Metadata entry '{Key}' is binary: read ValueBytes.");

        /// <summary>The binary value; for an ASCII entry, its ASCII bytes.</summary>
        public byte[] ValueBytes => _bytes ?? System.Text.Encoding.ASCII.GetBytes(_value!);

        public override string ToString() => IsBinary ? $"{Key}: <{_bytes!.Length} bytes>" : $"{Key}: {_value}";
    }
}
