using System.Collections.Concurrent;
using System.Globalization;
using Outrigger.Coordination.Leases;
using Outrigger.Coordination.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Outrigger.Coordination.Tests.Etcd;

/// <summary>
/// A 3-member etcd cluster on 127.0.0.1; members are killed with SIGKILL while writers and a watch run. Checked: every
/// acknowledged write is in the store and in the watch, the watch has no gap and no repeat, and nothing appears that
/// was not written. Writes whose answer was lost in the crash come back as Unavailable (outcome unknown) and may or
/// may not be there.
/// </summary>
[Trait("Category", "Fault")]
public sealed class EtcdFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Writers = 4;
    private const int PutsPerWriter = 60;
    private const string Prefix = "/fault/";
    private EtcdCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task KillTheConnectedMember_DuringWritesAndWatch_NothingAcknowledgedIsLost_WatchHasNoGaps()
    {
        await using var store = _cluster.Client([0, 1, 2]);
        await using var keeper = await LeaseKeeper.StartAsync(store, TimeSpan.FromSeconds(4));
        await store.PutAsync(Prefix + "leased", "alive", keeper.LeaseId);

        var run = await RunWritesWithFaultAsync(store, () => _cluster.Kill(0));

        await VerifyAsync(store, run);
        Assert.False(keeper.Lost.IsCancellationRequested);
        Assert.Equal("alive", (await store.GetAsync(Prefix + "leased"))!.ValueText);
        Assert.NotEqual(0, await _cluster.LeaderAsync());

        await _cluster.RestartAsync(0);
        await using var rejoined = _cluster.Client([0]);
        await Wait.UntilAsync(async () => (await rejoined.RangeAsync(KeyRange.Prefix(Prefix), new RangeOptions { Revision = run.MaxAckedRevision })).Count >= run.Acked.Count, "the restarted member catches up");
    }

    [Fact]
    public async Task KillTheLeader_DuringWritesAndWatch_NothingAcknowledgedIsLost_WatchHasNoGaps()
    {
        var leader = await _cluster.LeaderAsync();
        var followers = Enumerable.Range(0, 3).Where(i => i != leader).ToArray();
        await using var store = _cluster.Client([followers[0], followers[1], leader]);

        var run = await RunWritesWithFaultAsync(store, () => _cluster.Kill(leader));

        await VerifyAsync(store, run);
        Assert.NotEqual(leader, await _cluster.LeaderAsync());
    }

    private async Task<WriteRun> RunWritesWithFaultAsync(ICoordinationStore store, Action fault)
    {
        var watch = await store.WatchAsync(KeyRange.Prefix(Prefix + "w"));
        var acked = new ConcurrentDictionary<string, long>();
        var unknown = new ConcurrentBag<string>();
        var faultAt = Writers * PutsPerWriter / 3;
        var faultDone = new TaskCompletionSource();
        var ackedAfterFault = 0;
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PutsPerWriter; i++)
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"{Prefix}w{w}/{i:D4}");
                try
                {
                    acked[key] = (await store.PutAsync(key, key)).Revision;
                    if (faultDone.Task.IsCompleted)
                    {
                        Interlocked.Increment(ref ackedAfterFault);
                    }
                    else if (acked.Count >= faultAt && faultDone.TrySetResult())
                    {
                        fault();
                    }
                }
                catch (CoordinationException e) when (e.Error == CoordinationError.Unavailable)
                {
                    unknown.Add(key);
                    await Task.Delay(50);
                }
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(faultDone.Task.IsCompleted, "the fault was never injected");
        Assert.True(ackedAfterFault > Writers * PutsPerWriter / 3, $"only {ackedAfterFault} writes succeeded after the fault ({unknown.Count} unknown)");
        output.WriteLine($"{acked.Count} writes acknowledged ({ackedAfterFault} after the fault), {unknown.Count} with unknown outcome");
        return new WriteRun(watch, acked, unknown.ToHashSet(), acked.Values.Max());
    }

    private static async Task VerifyAsync(ICoordinationStore store, WriteRun run)
    {
        await using var _ = run.Watch;
        var events = new List<WatchEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (events.Count == 0 || events[^1].Kv.ModRevision < run.MaxAckedRevision)
        {
            events.AddRange((await run.Watch.ReadAsync(timeout.Token)).Events);
        }

        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].Kv.ModRevision == events[i - 1].Kv.ModRevision + 1, $"watch gap or repeat: {events[i - 1].Kv} then {events[i].Kv}");
        }

        var seen = events.ToDictionary(e => e.Kv.Key, e => e.Kv.ModRevision);
        foreach (var (key, revision) in run.Acked)
        {
            Assert.True(seen.TryGetValue(key, out var watched) && watched == revision, $"acknowledged {key}@{revision} missing from the watch");
        }

        Assert.All(seen.Keys, key => Assert.True(run.Acked.ContainsKey(key) || run.Unknown.Contains(key), $"{key} was never written"));
        var stored = (await store.RangeAsync(KeyRange.Prefix(Prefix + "w"))).Kvs.ToDictionary(kv => kv.Key, kv => kv.ModRevision);
        foreach (var (key, revision) in run.Acked)
        {
            Assert.True(stored.TryGetValue(key, out var actual) && actual == revision, $"acknowledged {key}@{revision} lost from the store");
        }
    }

    private sealed record WriteRun(IWatch Watch, ConcurrentDictionary<string, long> Acked, HashSet<string> Unknown, long MaxAckedRevision);
}
