using System.Text;

namespace Outrigger.Coordination;

/// <summary>One version of a key, as etcd's <c>mvccpb.KeyValue</c>.</summary>
public sealed class KeyValue
{
    private string? _key;

    public KeyValue(string key, ReadOnlyMemory<byte> value, long createRevision, long modRevision, long version, long lease)
        : this(Encoding.UTF8.GetBytes(key), value, createRevision, modRevision, version, lease)
    {
        _key = key;
    }

    internal KeyValue(byte[] keyBytes, ReadOnlyMemory<byte> value, long createRevision, long modRevision, long version, long lease)
    {
        KeyBytes = keyBytes;
        Value = value;
        CreateRevision = createRevision;
        ModRevision = modRevision;
        Version = version;
        Lease = lease;
    }

    public string Key => _key ??= Encoding.UTF8.GetString(KeyBytes);

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The value decoded as UTF-8.</summary>
    public string ValueText => Encoding.UTF8.GetString(Value.Span);

    /// <summary>Revision of the write that created the key (since its last deletion).</summary>
    public long CreateRevision { get; }

    /// <summary>Revision of the last write to the key.</summary>
    public long ModRevision { get; }

    /// <summary>Number of writes since the key was created (1 after the first put); 0 on delete events.</summary>
    public long Version { get; }

    /// <summary>The lease the key is attached to, 0 for none.</summary>
    public long Lease { get; }

    internal byte[] KeyBytes { get; }

    public override string ToString() => $"{Key}@{ModRevision} (v{Version}, created {CreateRevision}, lease {Lease})";
}
