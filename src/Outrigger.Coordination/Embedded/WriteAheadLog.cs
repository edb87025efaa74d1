using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Outrigger.Coordination.Embedded;

/// <summary>
/// The embedded store's write-ahead log: segment files <c>wal-{firstIndex}.log</c> of records
/// <c>[u32 length][u32 CRC-32C][payload]</c>, payload = varint log index + request. Appends are written and
/// fsynced by the single committer; recovery discards a torn tail in the last segment.
/// </summary>
internal sealed partial class WriteAheadLog : IDisposable
{
    private const int HeaderSize = 8;
    private const int MaxRecordBytes = 64 << 20;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly List<long> _segments = [];
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private FileStream? _current;

    public WriteAheadLog(string directory, ILogger logger)
    {
        _directory = directory;
        _logger = logger;
    }

    /// <summary>Bytes in the segment being appended to.</summary>
    public long CurrentSegmentBytes => _current?.Length ?? 0;

    /// <summary>Appends one framed record (header + index + request) to <paramref name="batch"/>.</summary>
    public void Frame(ArrayBufferWriter<byte> batch, long index, LogRequest request)
    {
        _scratch.ResetWrittenCount();
        var encoder = new BinaryEncoder(_scratch);
        encoder.Long(index);
        request.Encode(encoder);
        var payload = _scratch.WrittenSpan;
        var header = batch.GetSpan(HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32C.Compute(payload));
        batch.Advance(HeaderSize);
        batch.Write(payload);
    }

    /// <summary>Writes framed records and fsyncs them.</summary>
    public void AppendAndSync(ReadOnlySpan<byte> records)
    {
        var segment = _current ?? throw new InvalidOperationException("log not opened");
        segment.Write(records);
        segment.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Replays every record after <paramref name="snapshotIndex"/> in order and opens the last segment for appending.
    /// Returns the last log index.
    /// </summary>
    public long Recover(long snapshotIndex, Action<long, LogRequest> apply)
    {
        _segments.AddRange(ListSegments());
        var lastIndex = snapshotIndex;
        for (var i = 0; i < _segments.Count; i++)
        {
            if (i + 1 < _segments.Count && _segments[i + 1] <= snapshotIndex + 1)
            {
                continue;
            }

            lastIndex = ReplaySegment(_segments[i], isLast: i == _segments.Count - 1, lastIndex, apply);
        }

        if (_segments.Count == 0)
        {
            _segments.Add(lastIndex + 1);
        }

        _current = OpenSegment(_segments[^1]);
        _current.Seek(0, SeekOrigin.End);
        DirectorySync.Sync(_directory);
        return lastIndex;
    }

    /// <summary>Closes the current segment (already synced) and starts <c>wal-{nextIndex}.log</c>.</summary>
    public void Rotate(long nextIndex)
    {
        var next = OpenSegment(nextIndex);
        DirectorySync.Sync(_directory);
        _current?.Dispose();
        _current = next;
        lock (_segments)
        {
            _segments.Add(nextIndex);
        }
    }

    /// <summary>Deletes segments holding only records up to <paramref name="snapshotIndex"/>.</summary>
    public void DeleteCoveredSegments(long snapshotIndex)
    {
        List<long> covered = [];
        lock (_segments)
        {
            while (_segments.Count > 1 && _segments[1] <= snapshotIndex + 1)
            {
                covered.Add(_segments[0]);
                _segments.RemoveAt(0);
            }
        }

        foreach (var first in covered)
        {
            File.Delete(SegmentPath(first));
        }
    }

    public void Dispose() => _current?.Dispose();

    private long ReplaySegment(long first, bool isLast, long lastIndex, Action<long, LogRequest> apply)
    {
        var path = SegmentPath(first);
        var data = File.ReadAllBytes(path);
        var offset = 0;
        while (offset < data.Length)
        {
            if (!TryReadRecord(data.AsSpan(offset), out var payload))
            {
                if (!isLast || IsFollowedByValidRecord(data.AsSpan(offset)))
                {
                    throw new InvalidDataException($"{path}: corrupt record at offset {offset} followed by more log; refusing to open the store (restore the directory from a backup or remove the damaged files)");
                }

                LogTornTail(_logger, path, offset, data.Length - offset);
                using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
                file.SetLength(offset);
                file.Flush(flushToDisk: true);
                break;
            }

            var decoder = new BinaryDecoder(payload);
            var index = decoder.Long();
            if (index > lastIndex)
            {
                if (index != lastIndex + 1)
                {
                    throw new InvalidDataException($"{path}: log index {index} at offset {offset} follows {lastIndex}; records are missing");
                }

                apply(index, LogRequest.Decode(ref decoder));
                lastIndex = index;
            }

            offset += HeaderSize + payload.Length;
        }

        return lastIndex;
    }

    /// <summary>
    /// Whether a valid record starts where the damaged one claims to end. A crash tears only the last write, so a
    /// valid record after a bad one means the damage is in the middle of the log, not a torn tail.
    /// </summary>
    private static bool IsFollowedByValidRecord(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(data);
        return length > 0 && length <= data.Length - (2 * HeaderSize) && TryReadRecord(data[(HeaderSize + (int)length)..], out _);
    }

    private static bool TryReadRecord(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (data.Length < HeaderSize)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (length == 0 || length > MaxRecordBytes || length > data.Length - HeaderSize)
        {
            return false;
        }

        payload = data.Slice(HeaderSize, (int)length);
        return Crc32C.Compute(payload) == BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
    }

    private IEnumerable<long> ListSegments()
    {
        var firsts = new List<long>();
        foreach (var path in Directory.EnumerateFiles(_directory, "wal-*.log"))
        {
            var name = Path.GetFileNameWithoutExtension(path)["wal-".Length..];
            if (long.TryParse(name, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var first))
            {
                firsts.Add(first);
            }
        }

        firsts.Sort();
        return firsts;
    }

    private FileStream OpenSegment(long first) =>
        new(SegmentPath(first), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);

    private string SegmentPath(long first) => Path.Combine(_directory, $"wal-{first:x16}.log");

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Discarded a torn tail of {Bytes} bytes at offset {Offset} of {Path} (a write cut short by a crash)")]
    private static partial void LogTornTail(ILogger logger, string path, int offset, int bytes);
}
