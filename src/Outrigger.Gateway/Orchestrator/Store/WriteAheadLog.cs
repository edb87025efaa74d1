using System.Buffers.Binary;

namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>
/// An append-only file of records <c>[u32 length][u32 CRC-32 of payload][payload]</c> (little-endian). An append returns
/// only after <c>fsync</c>. Opening reads every whole record and cuts off a torn or corrupt tail (a crash mid-write).
/// A failed append is rolled back to the previous end; if even that fails the log refuses further writes.
/// </summary>
internal sealed class WriteAheadLog : IDisposable
{
    private const int HeaderBytes = 8;
    private const int MaxRecordBytes = 512 * 1024 * 1024;
    private readonly FileStream _file;
    private bool _broken;

    private WriteAheadLog(FileStream file)
    {
        _file = file;
    }

    public long Length => _file.Length;

    /// <summary>Opens (or creates) the log at <paramref name="path"/> and returns its whole records in order.</summary>
    public static WriteAheadLog Open(string path, out List<byte[]> records, out long discardedBytes)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.None);
        try
        {
            records = ReadRecords(file, out var validLength);
            discardedBytes = file.Length - validLength;
            if (discardedBytes > 0)
            {
                file.SetLength(validLength);
                file.Flush(flushToDisk: true);
            }

            file.Seek(0, SeekOrigin.End);
            return new WriteAheadLog(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends one record and makes it durable.</summary>
    public void Append(ReadOnlySpan<byte> payload)
    {
        if (_broken)
        {
            throw new IOException("the write-ahead log failed earlier and could not be repaired; restart the orchestrator");
        }

        var start = _file.Length;
        var record = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32.Compute(payload));
        payload.CopyTo(record.AsSpan(HeaderBytes));
        try
        {
            _file.Write(record);
            _file.Flush(flushToDisk: true);
        }
        catch
        {
            RollBack(start);
            throw;
        }
    }

    /// <summary>Empties the log (after a snapshot has made its records redundant).</summary>
    public void Reset()
    {
        _file.SetLength(0);
        _file.Flush(flushToDisk: true);
        _file.Seek(0, SeekOrigin.Begin);
    }

    public void Dispose() => _file.Dispose();

    private void RollBack(long start)
    {
        try
        {
            _file.SetLength(start);
            _file.Seek(start, SeekOrigin.Begin);
            _file.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            _broken = true;
        }
    }

    private static List<byte[]> ReadRecords(FileStream file, out long validLength)
    {
        var records = new List<byte[]>();
        var header = new byte[HeaderBytes];
        validLength = 0;
        file.Seek(0, SeekOrigin.Begin);
        while (true)
        {
            if (file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            {
                return records;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (length > MaxRecordBytes || length > file.Length - file.Position)
            {
                return records;
            }

            var payload = new byte[length];
            file.ReadExactly(payload);
            if (Crc32.Compute(payload) != crc)
            {
                return records;
            }

            records.Add(payload);
            validLength = file.Position;
        }
    }
}
