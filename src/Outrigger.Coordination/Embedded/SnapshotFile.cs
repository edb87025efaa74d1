using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace Outrigger.Coordination.Embedded;

/// <summary>
/// Snapshot files <c>snap-{index}.snap</c>: the whole state as of a log index (keys with their kept history,
/// leases, revisions) behind a header <c>["OSNP"][u32 format][u64 length][u32 CRC-32C]</c>. Written to a
/// <c>.tmp</c> file, fsynced and renamed, so a snapshot that exists is complete.
/// </summary>
internal static class SnapshotFile
{
    private const uint Magic = 0x504E534F; // "OSNP"
    private const uint Format = 1;
    private const int HeaderSize = 20;

    /// <summary>Serialises the state (call under the store's lock).</summary>
    public static byte[] Serialize(MvccState state, long index)
    {
        var buffer = new ArrayBufferWriter<byte>(HeaderSize + 4096);
        buffer.Advance(HeaderSize);
        var writer = new BinaryEncoder(buffer);
        writer.Long(index);
        writer.Long(state.Revision);
        writer.Long(state.CompactRevision);
        writer.Long(state.Leases.Count);
        foreach (var lease in state.Leases.All)
        {
            writer.Long(lease.Id);
            writer.Long(lease.TtlSeconds);
        }

        writer.Long(state.KeyCount);
        foreach (var (key, history) in state.Histories)
        {
            writer.Bytes(key);
            writer.Long(history.Records.Count);
            foreach (var record in history.Records)
            {
                writer.Long(record.Main);
                writer.Long(record.Sub);
                writer.Bool(record.Deleted);
                writer.Long(record.Kv.CreateRevision);
                writer.Long(record.Kv.Version);
                writer.Long(record.Kv.Lease);
                writer.Bytes(record.Kv.Value.Span);
            }
        }

        var bytes = buffer.WrittenSpan.ToArray();
        var payload = bytes.AsSpan(HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Format);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Crc32C.Compute(payload));
        return bytes;
    }

    /// <summary>Writes a serialised snapshot durably: temp file, fsync, rename, directory fsync.</summary>
    public static void Write(string directory, long index, byte[] bytes)
    {
        var path = PathOf(directory, index);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        DirectorySync.Sync(directory);
    }

    /// <summary>The newest snapshot's index, or 0 when there is none.</summary>
    public static long FindNewest(string directory)
    {
        long newest = 0;
        foreach (var path in Directory.EnumerateFiles(directory, "snap-*.snap"))
        {
            var name = Path.GetFileNameWithoutExtension(path)["snap-".Length..];
            if (long.TryParse(name, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var index))
            {
                newest = Math.Max(newest, index);
            }
        }

        return newest;
    }

    /// <summary>Loads a snapshot into an empty state; throws <see cref="InvalidDataException"/> naming the file when it is damaged.</summary>
    public static void Load(string directory, long index, MvccState state)
    {
        var path = PathOf(directory, index);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException($"{path} is not a snapshot file");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != Format)
        {
            throw new InvalidDataException($"{path} has an unknown snapshot format");
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        var payload = bytes.AsSpan(HeaderSize);
        if (length != payload.Length || Crc32C.Compute(payload) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)))
        {
            throw new InvalidDataException($"{path} is damaged (length or checksum mismatch)");
        }

        Read(new BinaryDecoder(payload), index, state, path);
    }

    /// <summary>Deletes snapshots older than <paramref name="index"/> and leftover temp files.</summary>
    public static void DeleteOlder(string directory, long index)
    {
        foreach (var path in Directory.EnumerateFiles(directory, "snap-*"))
        {
            var name = Path.GetFileName(path);
            var isOld = name.EndsWith(".snap", StringComparison.Ordinal)
                && long.TryParse(name["snap-".Length..^".snap".Length], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var other)
                && other < index;
            if (isOld || name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(path);
            }
        }
    }

    private static void Read(BinaryDecoder reader, long index, MvccState state, string path)
    {
        if (reader.Long() != index)
        {
            throw new InvalidDataException($"{path} holds a different log index than its name says");
        }

        var revision = reader.Long();
        var compactRevision = reader.Long();
        var leaseCount = reader.Int();
        for (var i = 0; i < leaseCount; i++)
        {
            state.GrantLease(reader.Long(), reader.Long());
        }

        var keyCount = reader.Int();
        var keys = new List<(byte[], List<KeyRecord>)>(keyCount);
        for (var i = 0; i < keyCount; i++)
        {
            var key = reader.Bytes();
            var records = new List<KeyRecord>(reader.Int());
            for (var n = records.Capacity; n > 0; n--)
            {
                var main = reader.Long();
                var sub = reader.Int();
                var deleted = reader.Bool();
                var kv = new KeyValue(key, ReadValue(ref reader, out var create, out var version, out var lease), create, main, version, lease);
                records.Add(new KeyRecord(sub, kv, deleted));
            }

            keys.Add((key, records));
        }

        state.Restore(revision, compactRevision, keys);
    }

    private static byte[] ReadValue(ref BinaryDecoder reader, out long create, out long version, out long lease)
    {
        create = reader.Long();
        version = reader.Long();
        lease = reader.Long();
        return reader.Bytes();
    }

    private static string PathOf(string directory, long index) => Path.Combine(directory, $"snap-{index:x16}.snap");
}
