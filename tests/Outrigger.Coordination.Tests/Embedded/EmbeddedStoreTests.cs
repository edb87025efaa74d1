using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination.Embedded;
using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Embedded;

/// <summary>What only the embedded backend has: its files, recovery, group commit and snapshots.</summary>
public sealed class EmbeddedStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("embedded");
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Reopen_RestoresKeysRevisionsHistoryAndLeases()
    {
        long leaseId;
        List<(string, long, long, long, string)> before;
        List<(WatchEventType, string, long)> historyBefore;
        await using (var store = Open())
        {
            leaseId = (await store.GrantLeaseAsync(TimeSpan.FromSeconds(30))).Id;
            await WriteSampleAsync(store, leaseId);
            before = Snapshot(await store.RangeAsync(KeyRange.All));
            historyBefore = await HistoryAsync(store);
        }

        await using (var reopened = Open())
        {
            Assert.Equal(before, Snapshot(await reopened.RangeAsync(KeyRange.All)));
            Assert.Equal(historyBefore, await HistoryAsync(reopened));
            Assert.Equal(new[] { "leased" }, (await reopened.GetLeaseAsync(leaseId))!.Keys);
            var next = await reopened.PutAsync("after", "restart");
            Assert.Equal(before.Max(k => k.Item3) + 1, next.Revision);
        }
    }

    [Fact]
    public async Task Snapshots_RotateTheLogAndDropCoveredSegments_ReopenRestoresEverything()
    {
        List<(string, long, long, long, string)> before;
        List<(WatchEventType, string, long)> historyBefore;
        await using (var store = Open(snapshotEvery: 10))
        {
            for (var i = 0; i < 95; i++)
            {
                await store.PutAsync($"k/{i % 17:D2}", $"v{i}");
                if (i % 7 == 0)
                {
                    await store.DeleteAsync($"k/{i % 5:D2}");
                }
            }

            await Wait.UntilAsync(() => Task.FromResult(Directory.GetFiles(_directory.Path, "snap-*.snap").Length == 1 && Directory.GetFiles(_directory.Path, "wal-*.log").Length <= 2), "old segments are deleted");
            before = Snapshot(await store.RangeAsync(KeyRange.All));
            historyBefore = await HistoryAsync(store);
        }

        await using var reopened = Open(snapshotEvery: 10);
        Assert.Equal(before, Snapshot(await reopened.RangeAsync(KeyRange.All)));
        Assert.Equal(historyBefore, await HistoryAsync(reopened));
    }

    [Fact]
    public async Task TornTail_IsDiscarded_AndTheStoreKeepsWorking()
    {
        await using (var store = Open())
        {
            for (var i = 0; i < 20; i++)
            {
                await store.PutAsync($"k{i:D2}", $"v{i}");
            }
        }

        var segment = Directory.GetFiles(_directory.Path, "wal-*.log").Single();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        await using (var reopened = Open())
        {
            var all = await reopened.RangeAsync(KeyRange.All);
            Assert.Equal(19, all.Count);
            Assert.Equal(20, all.Revision);
            Assert.Equal(21, (await reopened.PutAsync("k19", "again")).Revision);
        }

        await File.AppendAllTextAsync(segment, "garbage from a write cut short");
        await using var third = Open();
        Assert.Equal("again", (await third.GetAsync("k19"))!.ValueText);
        Assert.Equal(21, (await third.StatusAsync()).Revision);
    }

    [Fact]
    public async Task DamagedRecordFollowedByValidOnes_RefusesToOpenNamingTheFile()
    {
        await using (var store = Open())
        {
            for (var i = 0; i < 5; i++)
            {
                await store.PutAsync($"k{i}", new string('x', 100));
            }
        }

        var segment = Directory.GetFiles(_directory.Path, "wal-*.log").Single();
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[bytes.Length / 2] ^= 0x5a;
        await File.WriteAllBytesAsync(segment, bytes);

        var error = Assert.Throws<InvalidDataException>(() => Open());

        Assert.Contains(Path.GetFileName(segment), error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt record", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(segment));
    }

    [Fact]
    public async Task DamagedSnapshot_RefusesToOpenNamingTheFile()
    {
        await using (var store = Open(snapshotEvery: 5))
        {
            for (var i = 0; i < 12; i++)
            {
                await store.PutAsync($"k{i}", "v");
            }

            await Wait.UntilAsync(() => Task.FromResult(Directory.GetFiles(_directory.Path, "snap-*.snap").Length == 1), "a snapshot is written");
        }

        var snapshot = Directory.GetFiles(_directory.Path, "snap-*.snap").Single();
        var bytes = await File.ReadAllBytesAsync(snapshot);
        bytes[^2] ^= 0xff;
        await File.WriteAllBytesAsync(snapshot, bytes);

        var error = Assert.Throws<InvalidDataException>(() => Open(snapshotEvery: 5));

        Assert.Contains(Path.GetFileName(snapshot), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondOpenOfTheSameDirectory_FailsWhileTheFirstIsOpen()
    {
        await using var store = Open();

        var error = Assert.Throws<IOException>(() => Open());

        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leases_SurviveRestart_WithTheirTtlRestarted()
    {
        long leaseId;
        await using (var store = Open())
        {
            leaseId = (await store.GrantLeaseAsync(TimeSpan.FromSeconds(10))).Id;
            await store.PutAsync("eph", "v", leaseId);
            _time.Advance(TimeSpan.FromSeconds(8));
            Assert.Equal(TimeSpan.FromSeconds(2), (await store.GetLeaseAsync(leaseId))!.Remaining);
        }

        await using var reopened = Open();
        Assert.Equal(TimeSpan.FromSeconds(10), (await reopened.GetLeaseAsync(leaseId))!.Remaining);
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.NotNull(await reopened.GetAsync("eph"));
        _time.Advance(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(async () => await reopened.GetAsync("eph") is null, "the lease expires and its key is deleted");
    }

    [Fact]
    public async Task ConcurrentWriters_ShareFsyncs()
    {
        await using var store = Open();
        var before = store.FsyncCount;

        var puts = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => store.PutAsync($"k{i}", "v")));

        Assert.Equal(64, puts.Select(p => p.Revision).Distinct().Count());
        Assert.InRange(store.FsyncCount - before, 1, 63);
    }

    [Fact]
    public async Task ReadOnlyTransaction_IsNotLogged()
    {
        await using var store = Open();
        await store.PutAsync("k", "v");
        var before = store.FsyncCount;

        var txn = await store.TxnAsync(new Txn([Compare.Value("k", CompareOp.Equal, "v")], [TxnOp.Get("k")], [TxnOp.Get("other")]));

        Assert.True(txn.Succeeded);
        Assert.Equal(before, store.FsyncCount);
    }

    [Fact]
    public async Task HistoryRetention_CompactsAtSnapshots_AndTheCompactionSurvivesRestart()
    {
        await using (var store = Open(snapshotEvery: 10, retention: 5))
        {
            for (var i = 0; i < 30; i++)
            {
                await store.PutAsync("k", $"v{i}");
            }

            await AssertCompactedAsync(store);
        }

        await using var reopened = Open(snapshotEvery: 10, retention: 5);
        await AssertCompactedAsync(reopened);
        Assert.Equal("v29", (await reopened.GetAsync("k"))!.ValueText);
    }

    [Fact]
    public async Task Calls_AfterDispose_FailWithClosed_AndOpenWatchesEnd()
    {
        var store = Open();
        var watch = await store.WatchAsync(KeyRange.All);
        var reading = watch.ReadAsync().AsTask();

        await store.DisposeAsync();

        Assert.Equal(CoordinationError.Closed, (await Assert.ThrowsAnyAsync<CoordinationException>(() => reading)).Error);
        Assert.Equal(CoordinationError.Closed, (await Assert.ThrowsAnyAsync<CoordinationException>(() => store.PutAsync("k", "v"))).Error);
    }

    private static async Task AssertCompactedAsync(EmbeddedStore store)
    {
        var watch = await store.WatchAsync(KeyRange.All, 1);
        await using var _ = watch;
        var error = await Assert.ThrowsAsync<CompactedException>(async () => await watch.ReadAsync());
        Assert.InRange(error.CompactRevision, 2, 31);
    }

    private static async Task WriteSampleAsync(EmbeddedStore store, long leaseId)
    {
        await store.PutAsync("a", "1");
        await store.PutAsync("a", "2");
        await store.PutAsync("b/1", "x");
        await store.PutAsync("b/2", "y");
        await store.DeleteAsync(KeyRange.Prefix("b/"));
        await store.TxnAsync(new Txn([Compare.Missing("c")], [TxnOp.Put("c", "3"), TxnOp.Put("d", "4")]));
        await store.PutAsync("leased", "l", leaseId);
        await Assert.ThrowsAnyAsync<CoordinationException>(() => store.PutAsync("bad", "lease", leaseId + 1));
    }

    private static List<(string, long, long, long, string)> Snapshot(RangeResult result) =>
        result.Kvs.Select(kv => (kv.Key, kv.CreateRevision, kv.ModRevision, kv.Version, kv.ValueText)).ToList();

    private static async Task<List<(WatchEventType, string, long)>> HistoryAsync(EmbeddedStore store)
    {
        var revision = (await store.StatusAsync()).Revision;
        var watch = await store.WatchAsync(KeyRange.All, 1);
        await using var _ = watch;
        var events = new List<WatchEvent>();
        while (events.Count == 0 || events[^1].Kv.ModRevision < revision)
        {
            events.AddRange((await watch.ReadAsync()).Events);
        }

        return events.Select(e => (e.Type, e.Kv.Key, e.Kv.ModRevision)).ToList();
    }

    private EmbeddedStore Open(int snapshotEvery = 10_000, long retention = 0) =>
        EmbeddedStore.Open(new EmbeddedStoreOptions { Directory = _directory.Path, SnapshotEvery = snapshotEvery, HistoryRetention = retention }, _time, NullLoggerFactory.Instance);
}
