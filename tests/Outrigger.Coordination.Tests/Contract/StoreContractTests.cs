using System.Collections.Concurrent;
using System.Text;
using Outrigger.Coordination.Election;
using Outrigger.Coordination.Leases;
using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Contract;

/// <summary>
/// The behaviour every backend must have, run unchanged against each (a subclass per backend). Each test works
/// under its own key prefix <see cref="P"/>, so a backend may share one server between tests.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected ICoordinationStore Store { get; private set; } = null!;

    /// <summary>This test's key prefix.</summary>
    protected string P { get; } = $"/t/{Guid.NewGuid():N}/";

    /// <summary>The shortest lease TTL the backend honours.</summary>
    protected virtual TimeSpan ShortTtl => TimeSpan.FromSeconds(2);

    /// <summary>How precisely the backend's clock and timers can be observed: a fake clock's step, or real timers' lateness.</summary>
    protected virtual TimeSpan TimerTolerance => TimeSpan.FromMilliseconds(500);

    public async Task InitializeAsync() => Store = await OpenStoreAsync();

    public async Task DisposeAsync() => await Store.DisposeAsync();

    protected abstract Task<ICoordinationStore> OpenStoreAsync();

    /// <summary>Lets <paramref name="time"/> pass for the store (a fake clock, or real waiting).</summary>
    protected abstract Task ElapseAsync(TimeSpan time);

    [Fact]
    public async Task Put_ThenGet_ReturnsValueWithRevisionsAndVersion()
    {
        var first = await Store.PutAsync(P + "a", "1");
        var second = await Store.PutAsync(P + "a", "2");

        var kv = await Store.GetAsync(P + "a");

        Assert.NotNull(kv);
        Assert.Equal("2", kv.ValueText);
        Assert.Equal(first.Revision, kv.CreateRevision);
        Assert.Equal(second.Revision, kv.ModRevision);
        Assert.Equal(first.Revision + 1, second.Revision);
        Assert.Equal(2, kv.Version);
        Assert.Null(await Store.GetAsync(P + "missing"));
    }

    [Fact]
    public async Task Range_Prefix_ReturnsKeysInByteOrderWithLimitCountAndMore()
    {
        foreach (var key in new[] { "b", "a", "c/1", "c", "é", "Z" })
        {
            await Store.PutAsync(P + key, key);
        }

        await Store.PutAsync(P[..^1] + "0", "outside");

        var all = await Store.RangeAsync(KeyRange.Prefix(P));
        var limited = await Store.RangeAsync(KeyRange.Prefix(P), new RangeOptions { Limit = 2 });
        var counted = await Store.RangeAsync(KeyRange.Prefix(P), new RangeOptions { CountOnly = true });
        var keysOnly = await Store.RangeAsync(KeyRange.Prefix(P), new RangeOptions { KeysOnly = true });
        var between = await Store.RangeAsync(KeyRange.Between(P + "a", P + "c"));

        Assert.Equal(new[] { "Z", "a", "b", "c", "c/1", "é" }, all.Kvs.Select(kv => kv.Key[P.Length..]));
        Assert.Equal(6, all.Count);
        Assert.False(all.More);
        Assert.Equal(new[] { "Z", "a" }, limited.Kvs.Select(kv => kv.Key[P.Length..]));
        Assert.True(limited.More);
        Assert.Equal(6, limited.Count);
        Assert.Empty(counted.Kvs);
        Assert.Equal(6, counted.Count);
        Assert.All(keysOnly.Kvs, kv => Assert.True(kv.Value.IsEmpty));
        Assert.Equal(new[] { "a", "b" }, between.Kvs.Select(kv => kv.Key[P.Length..]));
    }

    [Fact]
    public async Task Range_AtOldRevision_ReturnsTheValueThen()
    {
        var v1 = await Store.PutAsync(P + "k", "one");
        await Store.PutAsync(P + "k", "two");
        var deleted = await Store.DeleteAsync(P + "k");

        var then = await Store.RangeAsync(KeyRange.Single(P + "k"), new RangeOptions { Revision = v1.Revision });
        var afterDelete = await Store.RangeAsync(KeyRange.Single(P + "k"), new RangeOptions { Revision = deleted.Revision });

        Assert.Equal("one", Assert.Single(then.Kvs).ValueText);
        Assert.Empty(afterDelete.Kvs);
    }

    [Fact]
    public async Task Range_FutureRevision_FailsWithFutureRevision()
    {
        var put = await Store.PutAsync(P + "k", "v");

        var error = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.RangeAsync(KeyRange.Single(P + "k"), new RangeOptions { Revision = put.Revision + 1000 }));

        Assert.Equal(CoordinationError.FutureRevision, error.Error);
    }

    [Fact]
    public async Task Delete_Prefix_DeletesAllAndCounts_NothingToDeleteKeepsRevision()
    {
        await Store.PutAsync(P + "d/1", "x");
        await Store.PutAsync(P + "d/2", "x");
        await Store.PutAsync(P + "e", "x");

        var deleted = await Store.DeleteAsync(KeyRange.Prefix(P + "d/"));
        var nothing = await Store.DeleteAsync(KeyRange.Prefix(P + "d/"));

        Assert.Equal(2, deleted.Deleted);
        Assert.Equal(0, nothing.Deleted);
        Assert.Equal(deleted.Revision, nothing.Revision);
        Assert.Equal(1, (await Store.RangeAsync(KeyRange.Prefix(P))).Count);
    }

    [Fact]
    public async Task Txn_Comparisons_FollowEtcdSemantics()
    {
        var put = await Store.PutAsync(P + "k", "m");
        var k = P + "k";
        var missing = P + "missing";

        async Task<bool> Holds(Compare compare) => (await Store.TxnAsync(new Txn([compare], [], []))).Succeeded;

        Assert.True(await Holds(Compare.Value(k, CompareOp.Equal, "m")));
        Assert.True(await Holds(Compare.Value(k, CompareOp.Greater, "a")));
        Assert.True(await Holds(Compare.Value(k, CompareOp.Less, "z")));
        Assert.True(await Holds(Compare.Value(k, CompareOp.NotEqual, "n")));
        Assert.True(await Holds(Compare.Version(k, CompareOp.Equal, 1)));
        Assert.True(await Holds(Compare.CreateRevision(k, CompareOp.Equal, put.Revision)));
        Assert.True(await Holds(Compare.ModRevision(k, CompareOp.Less, put.Revision + 1)));
        Assert.True(await Holds(Compare.Lease(k, CompareOp.Equal, 0)));
        Assert.True(await Holds(Compare.Missing(missing)));
        Assert.True(await Holds(Compare.CreateRevision(missing, CompareOp.Equal, 0)));
        Assert.False(await Holds(Compare.Value(missing, CompareOp.NotEqual, "anything")));
        Assert.False(await Holds(Compare.Version(k, CompareOp.Greater, 1)));
    }

    [Fact]
    public async Task Txn_Branches_RunInOrderAtOneRevisionAndReturnResults()
    {
        await Store.PutAsync(P + "cfg", "old");

        var failed = await Store.TxnAsync(new Txn(
            [Compare.Value(P + "cfg", CompareOp.Equal, "other")],
            [TxnOp.Put(P + "cfg", "new")],
            [TxnOp.Get(P + "cfg"), TxnOp.Put(P + "x", "1"), TxnOp.Put(P + "y", "2"), TxnOp.Range(KeyRange.Prefix(P))]));

        Assert.False(failed.Succeeded);
        Assert.Equal("old", Assert.Single(((RangeResult)failed.Results[0]).Kvs).ValueText);
        Assert.IsType<PutResult>(failed.Results[1]);
        Assert.Equal(3, ((RangeResult)failed.Results[3]).Count);
        var x = await Store.GetAsync(P + "x");
        var y = await Store.GetAsync(P + "y");
        Assert.Equal(failed.Revision, x!.ModRevision);
        Assert.Equal(failed.Revision, y!.ModRevision);
        Assert.Equal("old", (await Store.GetAsync(P + "cfg"))!.ValueText);
    }

    [Fact]
    public async Task Txn_RacingOnTheSameKey_ExactlyOneWins()
    {
        const int racers = 16;
        var key = P + "owner";

        var outcomes = await Task.WhenAll(Enumerable.Range(0, racers).Select(i => Task.Run(() =>
            Store.TxnAsync(new Txn([Compare.Missing(key)], [TxnOp.Put(key, $"racer-{i}")])))));

        var winners = outcomes.Select((o, i) => (o, i)).Where(x => x.o.Succeeded).ToList();
        var winner = Assert.Single(winners);
        var kv = await Store.GetAsync(key);
        Assert.Equal($"racer-{winner.i}", kv!.ValueText);
        Assert.Equal(1, kv.Version);
    }

    [Fact]
    public async Task Txn_CompareAndSwapCounter_NoLostUpdates()
    {
        const int workers = 8;
        const int incrementsEach = 10;
        var key = P + "counter";
        await Store.PutAsync(key, "0");

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            for (var done = 0; done < incrementsEach;)
            {
                var current = (await Store.GetAsync(key))!;
                var next = (int.Parse(current.ValueText, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var txn = await Store.TxnAsync(new Txn([Compare.ModRevision(key, CompareOp.Equal, current.ModRevision)], [TxnOp.Put(key, next)]));
                done += txn.Succeeded ? 1 : 0;
            }
        })));

        Assert.Equal((workers * incrementsEach).ToString(System.Globalization.CultureInfo.InvariantCulture), (await Store.GetAsync(key))!.ValueText);
    }

    [Fact]
    public async Task InvalidRequests_FailWithInvalidArgumentAndChangeNothing()
    {
        var before = (await Store.StatusAsync()).Revision;

        var duplicate = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.TxnAsync(new Txn([], [TxnOp.Put(P + "a", "1"), TxnOp.Put(P + "a", "2")])));
        var putInDeletedRange = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.TxnAsync(new Txn([], [TxnOp.Delete(KeyRange.Prefix(P)), TxnOp.Put(P + "a", "1")])));
        var tooMany = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.TxnAsync(new Txn([], Enumerable.Range(0, 129).Select(i => TxnOp.Put($"{P}{i}", "v")).ToList())));
        var emptyKey = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.PutAsync("", "v"));
        var tooLarge = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.PutAsync(P + "big", new byte[2 * 1024 * 1024]));

        Assert.All(new[] { duplicate, putInDeletedRange, tooMany, emptyKey, tooLarge }, e => Assert.Equal(CoordinationError.InvalidArgument, e.Error));
        Assert.Contains("duplicate key", duplicate.Message, StringComparison.Ordinal);
        Assert.Equal(before, (await Store.StatusAsync()).Revision);
        Assert.Equal(0, (await Store.RangeAsync(KeyRange.Prefix(P))).Count);
    }

    [Fact]
    public async Task Watch_ConcurrentWriters_DeliversEveryRevisionOnceInOrderWithoutGaps()
    {
        const int writers = 8;
        const int putsEach = 40;
        var watch = await Store.WatchAsync(KeyRange.Prefix(P));
        await using var _ = watch;
        var acknowledged = new ConcurrentBag<(string Key, long Revision)>();

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < putsEach; i++)
            {
                var key = $"{P}w{w}/{i:D3}";
                acknowledged.Add((key, (await Store.PutAsync(key, $"{w}:{i}")).Revision));
            }
        })));
        var events = await Wait.EventsAsync(watch, writers * putsEach);

        Assert.Equal(writers * putsEach, events.Count);
        Assert.Equal(acknowledged.OrderBy(a => a.Revision).Select(a => (a.Key, a.Revision)), events.Select(e => (e.Kv.Key, e.Kv.ModRevision)));
        for (var i = 1; i < events.Count; i++)
        {
            Assert.Equal(events[i - 1].Kv.ModRevision + 1, events[i].Kv.ModRevision);
        }

        Assert.All(events, e => Assert.Equal(WatchEventType.Put, e.Type));
    }

    [Fact]
    public async Task Watch_FromOldRevision_ReplaysHistoryThenFollowsLiveChanges()
    {
        var revisions = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            revisions.Add((await Store.PutAsync(P + "k", $"v{i}")).Revision);
        }

        var deleted = await Store.DeleteAsync(P + "k");
        var watch = await Store.WatchAsync(KeyRange.Single(P + "k"), revisions[1]);
        await using var _ = watch;
        var replayed = await Wait.EventsAsync(watch, 5);
        await Store.PutAsync(P + "k", "live");
        var live = await Wait.EventsAsync(watch, 1);

        Assert.Equal(5, replayed.Count);
        Assert.Equal(new[] { revisions[1], revisions[2], revisions[3], revisions[4], deleted.Revision }, replayed.Select(e => e.Kv.ModRevision));
        Assert.Equal(new[] { "v1", "v2", "v3", "v4" }, replayed.Take(4).Select(e => e.Kv.ValueText));
        Assert.Equal(WatchEventType.Delete, replayed[4].Type);
        Assert.Equal("live", Assert.Single(live).Kv.ValueText);
        Assert.Equal(1, live[0].Kv.Version);
    }

    [Fact]
    public async Task Watch_TransactionEvents_ShareOneRevisionAndArriveTogether()
    {
        var watch = await Store.WatchAsync(KeyRange.Prefix(P));
        await using var _ = watch;

        var txn = await Store.TxnAsync(new Txn([], [TxnOp.Put(P + "a", "1"), TxnOp.Put(P + "b", "2"), TxnOp.Put(P + "c", "3")]));
        using var cts = new CancellationTokenSource(Wait.Long);
        var response = await watch.ReadAsync(cts.Token);

        Assert.Equal(3, response.Events.Count);
        Assert.All(response.Events, e => Assert.Equal(txn.Revision, e.Kv.ModRevision));
        Assert.Equal(new[] { "a", "b", "c" }, response.Events.Select(e => e.Kv.Key[P.Length..]));
    }

    [Fact]
    public async Task Compact_ThenWatchOrReadBelowIt_FailsWithCompactedAndTheCompactRevision()
    {
        var old = await Store.PutAsync(P + "k", "1");
        await Store.PutAsync(P + "k", "2");
        var latest = await Store.PutAsync(P + "k", "3");

        await Store.CompactAsync(latest.Revision);
        var watch = await Store.WatchAsync(KeyRange.Single(P + "k"), old.Revision);
        await using var _ = watch;
        using var cts = new CancellationTokenSource(Wait.Long);
        var watchError = await Assert.ThrowsAsync<CompactedException>(async () => await watch.ReadAsync(cts.Token));
        var readError = await Assert.ThrowsAsync<CompactedException>(() => Store.RangeAsync(KeyRange.Single(P + "k"), new RangeOptions { Revision = old.Revision }));
        var current = await Store.RangeAsync(KeyRange.Single(P + "k"), new RangeOptions { Revision = latest.Revision });

        Assert.Equal(latest.Revision, watchError.CompactRevision);
        Assert.Equal(CoordinationError.Compacted, readError.Error);
        Assert.Equal("3", Assert.Single(current.Kvs).ValueText);
    }

    [Fact]
    public async Task Lease_Expiry_DeletesItsKeysAndNotifiesWatchers()
    {
        var lease = await Store.GrantLeaseAsync(ShortTtl);
        await Store.PutAsync(P + "eph", "here", lease.Id);
        await Store.PutAsync(P + "stays", "here");
        var watch = await Store.WatchAsync(KeyRange.Prefix(P));
        await using var _ = watch;

        await ElapseAsync(ShortTtl + TimeSpan.FromSeconds(2));
        var events = await Wait.EventsAsync(watch, 1);

        var delete = Assert.Single(events);
        Assert.Equal(WatchEventType.Delete, delete.Type);
        Assert.Equal(P + "eph", delete.Kv.Key);
        Assert.Null(await Store.GetAsync(P + "eph"));
        Assert.NotNull(await Store.GetAsync(P + "stays"));
        Assert.Null(await Store.GetLeaseAsync(lease.Id));
        var error = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.KeepAliveAsync(lease.Id));
        Assert.Equal(CoordinationError.LeaseNotFound, error.Error);
    }

    [Fact]
    public async Task Lease_KeepAlive_KeepsKeysBeyondTheTtl()
    {
        var lease = await Store.GrantLeaseAsync(ShortTtl);
        await Store.PutAsync(P + "eph", "here", lease.Id);

        for (var i = 0; i < 4; i++)
        {
            await ElapseAsync(ShortTtl / 2);
            Assert.Equal(lease.Ttl, await Store.KeepAliveAsync(lease.Id));
        }

        Assert.NotNull(await Store.GetAsync(P + "eph"));
        var info = await Store.GetLeaseAsync(lease.Id);
        Assert.NotNull(info);
        Assert.Equal(lease.Ttl, info.Granted);
        Assert.InRange(info.Remaining, TimeSpan.FromSeconds(1), lease.Ttl);
        Assert.Equal(new[] { P + "eph" }, info.Keys);
    }

    [Fact]
    public async Task Lease_Revoke_DeletesKeys_UnknownLeaseFailsWithLeaseNotFound()
    {
        var lease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(60));
        await Store.PutAsync(P + "a", "1", lease.Id);
        await Store.PutAsync(P + "b", "1", lease.Id);

        await Store.RevokeLeaseAsync(lease.Id);
        var putOnRevoked = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.PutAsync(P + "c", "1", lease.Id));
        var revokeAgain = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.RevokeLeaseAsync(lease.Id));

        Assert.Equal(0, (await Store.RangeAsync(KeyRange.Prefix(P))).Count);
        Assert.Equal(CoordinationError.LeaseNotFound, putOnRevoked.Error);
        Assert.Equal(CoordinationError.LeaseNotFound, revokeAgain.Error);
    }

    [Fact]
    public async Task Lease_PutMovesKeyBetweenLeases()
    {
        var first = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(60));
        var second = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(60));
        await Store.PutAsync(P + "k", "1", first.Id);
        await Store.PutAsync(P + "k", "2", second.Id);

        await Store.RevokeLeaseAsync(first.Id);

        Assert.Equal(second.Id, (await Store.GetAsync(P + "k"))!.Lease);
        Assert.True((await Store.TxnAsync(new Txn([Compare.Lease(P + "k", CompareOp.Equal, second.Id)], []))).Succeeded);
        await Store.RevokeLeaseAsync(second.Id);
    }

    [Fact]
    public async Task LeaseKeeper_RenewsAheadOfExpiry_AndRevokesOnDispose()
    {
        var keeper = await LeaseKeeper.StartAsync(Store, ShortTtl);
        await Store.PutAsync(P + "eph", "here", keeper.LeaseId);

        await ElapseAsync(ShortTtl * 3);

        Assert.False(keeper.Lost.IsCancellationRequested);
        Assert.NotNull(await Store.GetAsync(P + "eph"));
        await keeper.DisposeAsync();
        Assert.Null(await Store.GetAsync(P + "eph"));
    }

    [Fact]
    public async Task LeaseKeeper_LeaseRevokedElsewhere_SignalsLost()
    {
        await using var keeper = await LeaseKeeper.StartAsync(Store, ShortTtl);

        await Store.RevokeLeaseAsync(keeper.LeaseId);
        await ElapseAsync(ShortTtl);

        await Wait.UntilAsync(() => Task.FromResult(keeper.Lost.IsCancellationRequested), "the keeper reports the lease lost");
    }

    [Fact]
    public async Task LeaseKeeper_KeepAlivesGetNoAnswer_SignalsLostOneTtlAfterTheLastRenewal_AsTheStoreExpiresIt()
    {
        var connection = new UnreachableStore(Store);
        await using var keeper = await LeaseKeeper.StartAsync(connection, ShortTtl);
        await Store.PutAsync(P + "eph", "here", keeper.LeaseId);
        long lostAt = 0;
        using var _ = keeper.Lost.Register(() => lostAt = Store.TimeProvider.GetTimestamp());
        await ElapseAsync(ShortTtl);
        await Wait.UntilAsync(() => Task.FromResult(connection.Renewals >= 1), "the keeper renewed the lease");

        connection.Hang();
        await ElapseAsync(ShortTtl + TimerTolerance);
        await Wait.UntilAsync(() => Task.FromResult(keeper.Lost.IsCancellationRequested), "the keeper reports the lease lost");

        // The keeper's timer is due one TTL after that renewal; a real timer can fire late on a loaded machine (501 ms
        // once in CI on two cores), so the upper bound allows twice the tolerance.
        Assert.InRange(Store.TimeProvider.GetElapsedTime(connection.LastRenewalSent, lostAt), ShortTtl - TimerTolerance, ShortTtl + (2 * TimerTolerance));
        await ElapseAsync(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(async () => await Store.GetAsync(P + "eph") is null, "the store expires the lease and deletes its key");
        connection.Answer();
        var error = await Assert.ThrowsAnyAsync<CoordinationException>(() => Store.KeepAliveAsync(keeper.LeaseId));
        Assert.Equal(CoordinationError.LeaseNotFound, error.Error);
    }

    [Fact]
    public async Task LeaseKeeper_KeepAlivesAnsweredAgainBeforeExpiry_LeaseLives()
    {
        var connection = new UnreachableStore(Store);
        await using var keeper = await LeaseKeeper.StartAsync(connection, ShortTtl);
        await Store.PutAsync(P + "eph", "here", keeper.LeaseId);
        await ElapseAsync(ShortTtl);

        // Hung for less than one renewal interval (TTL/3): on a loaded machine a real etcd's answers take part of the
        // TTL too, and the point is only that answers resuming before expiry keep the lease.
        connection.Hang();
        await ElapseAsync(ShortTtl / 6);
        var renewals = connection.Renewals;
        connection.Answer();
        await ElapseAsync(ShortTtl * 2);

        Assert.False(keeper.Lost.IsCancellationRequested);
        Assert.True(connection.Renewals > renewals);
        Assert.Equal(keeper.LeaseId, (await Store.GetAsync(P + "eph"))!.Lease);
    }

    [Fact]
    public async Task Election_OneLeaderAtATime_NextCandidateLeadsWhenTheLeaderResignsOrItsLeaseEnds()
    {
        var election = new LeaderElection(Store, P + "election");
        var leases = new List<LeaseGrant>();
        for (var i = 0; i < 3; i++)
        {
            leases.Add(await Store.GrantLeaseAsync(TimeSpan.FromSeconds(60)));
        }

        var first = await election.CampaignAsync(leases[0].Id, "node-0");
        var second = election.CampaignAsync(leases[1].Id, "node-1");
        await Wait.UntilAsync(async () => (await Store.RangeAsync(KeyRange.Prefix(P + "election/"))).Count == 2, "the second candidate is registered");
        var third = election.CampaignAsync(leases[2].Id, "node-2");
        await Wait.UntilAsync(async () => (await Store.RangeAsync(KeyRange.Prefix(P + "election/"))).Count == 3, "the third candidate is registered");
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.Equal("node-0", (await election.GetLeaderAsync())!.ValueText);
        Assert.True((await Store.TxnAsync(new Txn([first.IsLeader()], [TxnOp.Put(P + "fenced", "by-0")]))).Succeeded);

        await first.ResignAsync();
        var secondLeadership = await second.WaitAsync(Wait.Long);
        Assert.False(third.IsCompleted);
        Assert.False((await Store.TxnAsync(new Txn([first.IsLeader()], [TxnOp.Put(P + "fenced", "stale")]))).Succeeded);
        Assert.True(await secondLeadership.ProclaimAsync("node-1b"));
        Assert.Equal("node-1b", (await election.GetLeaderAsync())!.ValueText);

        await Store.RevokeLeaseAsync(leases[1].Id);
        var thirdLeadership = await third.WaitAsync(Wait.Long);
        Assert.Equal("node-2", (await election.GetLeaderAsync())!.ValueText);
        Assert.Equal("by-0", (await Store.GetAsync(P + "fenced"))!.ValueText);
        await thirdLeadership.ResignAsync();
        Assert.Null(await election.GetLeaderAsync());
    }

    [Fact]
    public async Task Status_ReportsTheCurrentRevision()
    {
        var put = await Store.PutAsync(P + "k", Encoding.UTF8.GetBytes("v"));

        var status = await Store.StatusAsync();

        Assert.True(status.Revision >= put.Revision);
        Assert.False(string.IsNullOrEmpty(status.Version));
    }
}
