using Google.Protobuf;
using Knhk.Warm.V1;
using Microsoft.Extensions.Logging;

namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>Recovery (snapshot + log replay) and compaction (snapshot, then an empty log).</summary>
internal sealed partial class QuadStore
{
    private string LogPath => Path.Combine(_directory, LogFileName);

    private string SnapshotPath => Path.Combine(_directory, SnapshotFileName);

    private void Recover()
    {
        if (File.Exists(SnapshotPath))
        {
            LoadSnapshot();
        }

        _log = WriteAheadLog.Open(LogPath, out var records, out var discarded);
        if (discarded > 0)
        {
            Log.TornTail(_logger, discarded);
        }

        var replayed = 0;
        foreach (var bytes in records)
        {
            var record = WalRecord.Parser.ParseFrom(bytes);
            if (record.Sequence > _sequence)
            {
                Apply(record);
                replayed++;
            }
        }

        Log.Recovered(_logger, _directory, _index.Count, _sequence, replayed);
    }

    private void LoadSnapshot()
    {
        using var file = File.OpenRead(SnapshotPath);
        var snapshot = StoreSnapshot.Parser.ParseFrom(file);
        foreach (var triple in snapshot.Quads)
        {
            _index.Add(Quad.From(triple));
        }

        foreach (var remembered in snapshot.Keys)
        {
            _keys.Remember(remembered.IdempotencyKey, remembered.Receipt);
        }

        _sequence = snapshot.Sequence;
    }

    /// <summary>Snapshots when the log is long. A failure is logged, not thrown: the batch is already durable in the log.</summary>
    private void CompactIfDue()
    {
        if (_log.Length < _options.CompactBytes)
        {
            return;
        }

        try
        {
            Compact();
        }
        catch (IOException ex)
        {
            Log.CompactionFailed(_logger, ex);
        }
    }

    private void Compact()
    {
        var snapshot = Read(index =>
        {
            var s = new StoreSnapshot { Sequence = _sequence };
            foreach (var quad in index.All)
            {
                s.Quads.Add(quad.ToTriple());
            }

            foreach (var (key, receipt) in _keys.InOrder())
            {
                s.Keys.Add(new RememberedKey { IdempotencyKey = key, Receipt = receipt });
            }

            return s;
        });

        var temporary = SnapshotPath + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            snapshot.WriteTo(file);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, SnapshotPath, overwrite: true);
        _log.Reset();
        Log.Compacted(_logger, snapshot.Quads.Count, snapshot.Sequence);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Quad store {Directory} opened: {Quads} quads at sequence {Sequence} ({Replayed} log records replayed)")]
        public static partial void Recovered(ILogger logger, string directory, int quads, ulong sequence, int replayed);

        [LoggerMessage(2, LogLevel.Warning, "Write-ahead log had a torn or corrupt tail of {Bytes} bytes (a crash mid-write); it was cut off")]
        public static partial void TornTail(ILogger logger, long bytes);

        [LoggerMessage(3, LogLevel.Information, "Quad store snapshotted: {Quads} quads at sequence {Sequence}; log restarted")]
        public static partial void Compacted(ILogger logger, int quads, ulong sequence);

        [LoggerMessage(4, LogLevel.Error, "Quad store snapshot failed; the log keeps growing until one succeeds")]
        public static partial void CompactionFailed(ILogger logger, Exception exception);
    }
}
