using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Gateway.Orchestrator.Store;

namespace Outrigger.Gateway.Tests.Orchestrator;

public sealed class QuadStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "quadstore-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task ApplyAsync_ThenReopen_KeepsQuadsKeysAndSequence()
    {
        using (var store = Open())
        {
            await store.ApplyAsync([Item("k1", Add(1, 2, 3)), Item("k2", Add(4, 5, 6, graph: 9))], 77, CancellationToken.None);
            await store.ApplyAsync([Item("k3", Remove(1, 2, 3))], 78, CancellationToken.None);
        }

        using var reopened = Open();

        Assert.Equal(2UL, reopened.Sequence);
        Assert.Equal([new Quad(4, 5, 6, true, 9)], reopened.Read(i => i.All.ToList()));
        var again = await reopened.ApplyAsync([Item("k1", Add(1, 2, 3))], 79, CancellationToken.None);
        Assert.True(again[0].Duplicate);
        Assert.Equal(77UL, again[0].Receipt.SpanId);
        Assert.Equal(0, reopened.Read(i => i.All.Count(q => q.S == 1)));
    }

    [Fact]
    public async Task ApplyAsync_Receipts_CarrySequenceLanesSpanAndDeltaHash()
    {
        using var store = Open();
        var tx = Add(1, 2, 3);

        var results = await store.ApplyAsync([Item("a", tx), Item("b", Add(4, 5, 6)), Item("c", Add(7, 8, 9))], 42, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(1u, r.Receipt.Ticks));
        Assert.All(results, r => Assert.Equal(3u, r.Receipt.Lanes));
        Assert.All(results, r => Assert.Equal(42UL, r.Receipt.SpanId));
        Assert.Equal(DeltaHash.Compute(tx), results[0].Receipt.AHash);
        Assert.NotEqual(results[0].Receipt.AHash, results[1].Receipt.AHash);
    }

    [Fact]
    public async Task ApplyAsync_SameKeyTwiceInOneBatch_AppliesOnce()
    {
        using var store = Open();

        var results = await store.ApplyAsync([Item("same", Add(1, 2, 3)), Item("same", Add(9, 9, 9))], 1, CancellationToken.None);

        Assert.False(results[0].Duplicate);
        Assert.True(results[1].Duplicate);
        Assert.Equal(results[0].Receipt, results[1].Receipt);
        Assert.Equal(1, store.QuadCount);
    }

    [Fact]
    public async Task ApplyAsync_InvalidItem_IsRejectedAloneWhileTheRestCommits()
    {
        using var store = Open();

        var results = await store.ApplyAsync([Item("ok", Add(1, 2, 3)), Item("empty", new Transaction()), Item("", Add(4, 4, 4))], 1, CancellationToken.None);

        Assert.True(results[0].Success);
        Assert.False(results[1].Success);
        Assert.Equal("empty transaction: it has no additions and no removals", results[1].Error);
        Assert.Equal("idempotency_key is required", results[2].Error);
        Assert.Equal(1, store.QuadCount);
    }

    [Fact]
    public async Task Open_TornLastRecord_IsCutOffAndEarlierBatchesSurvive()
    {
        using (var store = Open())
        {
            await store.ApplyAsync([Item("k1", Add(1, 1, 1))], 1, CancellationToken.None);
            await store.ApplyAsync([Item("k2", Add(2, 2, 2))], 2, CancellationToken.None);
        }

        var log = Path.Combine(_dir, QuadStore.LogFileName);
        var length = new FileInfo(log).Length;
        using (var file = new FileStream(log, FileMode.Open))
        {
            file.SetLength(length - 3);
        }

        using (var reopened = Open())
        {
            Assert.Equal(1UL, reopened.Sequence);
            Assert.Equal([new Quad(1, 1, 1, false, 0)], reopened.Read(i => i.All.ToList()));
            await reopened.ApplyAsync([Item("k3", Add(3, 3, 3))], 3, CancellationToken.None);
        }

        using var third = Open();
        Assert.Equal(2, third.QuadCount);
    }

    [Fact]
    public async Task ApplyAsync_LogOverCompactBytes_SnapshotsAndRestartsTheLog()
    {
        using (var store = Open(new QuadStoreOptions { CompactBytes = 200 }))
        {
            for (var i = 0; i < 10; i++)
            {
                await store.ApplyAsync([Item($"k{i}", Add((ulong)i, 1, 1))], 1, CancellationToken.None);
            }

            Assert.True(File.Exists(Path.Combine(_dir, QuadStore.SnapshotFileName)));
            Assert.True(new FileInfo(Path.Combine(_dir, QuadStore.LogFileName)).Length < 200);
        }

        using var reopened = Open();
        Assert.Equal(10, reopened.QuadCount);
        Assert.Equal(10UL, reopened.Sequence);
        Assert.True((await reopened.ApplyAsync([Item("k0", Add(0, 1, 1))], 1, CancellationToken.None))[0].Duplicate);
    }

    [Fact]
    public async Task IdempotencyKeys_OverCapacity_ForgetsTheOldest()
    {
        using var store = Open(new QuadStoreOptions { IdempotencyKeys = 2 });
        await store.ApplyAsync([Item("a", Add(1, 1, 1)), Item("b", Add(2, 2, 2)), Item("c", Add(3, 3, 3))], 1, CancellationToken.None);

        var results = await store.ApplyAsync([Item("a", Add(1, 1, 1)), Item("c", Add(3, 3, 3))], 1, CancellationToken.None);

        Assert.False(results[0].Duplicate);
        Assert.True(results[1].Duplicate);
    }

    [Fact]
    public void DeltaHash_OrderAndRepetitionOfTriples_DoNotMatter()
    {
        var a = new Transaction { Additions = { T(1, 2, 3), T(4, 5, 6) } };
        var b = new Transaction { Additions = { T(4, 5, 6), T(1, 2, 3), T(1, 2, 3) } };
        var removal = new Transaction { Removals = { T(1, 2, 3), T(4, 5, 6) } };

        Assert.Equal(DeltaHash.Compute(a), DeltaHash.Compute(b));
        Assert.NotEqual(DeltaHash.Compute(a), DeltaHash.Compute(removal));
    }

    private QuadStore Open(QuadStoreOptions? options = null) => QuadStore.Open(_dir, options ?? new QuadStoreOptions(), NullLogger.Instance);

    private static BatchItem Item(string key, Transaction tx) => new() { IdempotencyKey = key, Transaction = tx };

    private static Transaction Add(ulong s, ulong p, ulong o, ulong? graph = null) => new() { Additions = { T(s, p, o, graph) } };

    private static Transaction Remove(ulong s, ulong p, ulong o) => new() { Removals = { T(s, p, o) } };

    private static Triple T(ulong s, ulong p, ulong o, ulong? graph = null)
    {
        var t = new Triple { Subject = s, Predicate = p, Object = o };
        if (graph is { } g)
        {
            t.Graph = g;
        }

        return t;
    }
}
