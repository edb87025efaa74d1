using System.Diagnostics;
using Outrigger.Coordination.Leases;
using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Etcd;

/// <summary>
/// A lease kept alive against real etcd members that hang (SIGSTOP) or die (SIGKILL). The owner must learn that the
/// lease is lost no later than its TTL after the last successful renewal (the bug: only when the client's 10 s request
/// budget ran out, or never when the member was dead); a member that comes back before then, or another member of the
/// cluster, keeps the lease alive. Real time: the bounds are seconds apart from what the bug took.
/// </summary>
[Trait("Category", "Fault")]
public sealed class EtcdLeaseLossTests : IAsyncLifetime
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);
    private EtcdCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync(1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task KeepAlive_MemberHung_ReportsLossWithinTheTtl()
    {
        await using var store = _cluster.Client();
        var ttl = TimeSpan.FromSeconds(3);
        await using var keeper = await LeaseKeeper.StartAsync(store, ttl);
        await Task.Delay(ttl);

        var lostAfter = await MeasureLossAsync(keeper, () => _cluster.Pause(0), ttl + Wait.Long);
        _cluster.Resume(0);

        Assert.InRange(lostAfter, ttl / 3, ttl + Margin);
    }

    [Fact]
    public async Task KeepAlive_MemberDead_ReportsLossWithinTheTtl()
    {
        await using var store = _cluster.Client();
        var ttl = TimeSpan.FromSeconds(3);
        await using var keeper = await LeaseKeeper.StartAsync(store, ttl);
        await Task.Delay(ttl);

        var lostAfter = await MeasureLossAsync(keeper, () => _cluster.Kill(0), ttl + Wait.Long);

        Assert.InRange(lostAfter, ttl / 3, ttl + Margin);
    }

    [Fact]
    public async Task KeepAlive_MemberHungShorterThanTheTtl_LeaseLives()
    {
        await using var store = _cluster.Client();
        var ttl = TimeSpan.FromSeconds(5);
        await using var keeper = await LeaseKeeper.StartAsync(store, ttl);
        await store.PutAsync("/lease-loss/owned", "yes", keeper.LeaseId);

        _cluster.Pause(0);
        await Task.Delay(TimeSpan.FromSeconds(2));
        _cluster.Resume(0);
        await Task.Delay(ttl);

        Assert.False(keeper.Lost.IsCancellationRequested, "the lease was reported lost although the member came back in time");
        Assert.Equal(keeper.LeaseId, (await store.GetAsync("/lease-loss/owned"))!.Lease);
        Assert.NotNull(await store.GetLeaseAsync(keeper.LeaseId));
    }

    [Fact]
    public async Task KeepAlive_MemberRestartedBeforeExpiry_LeaseLives()
    {
        await using var store = _cluster.Client();
        var ttl = TimeSpan.FromSeconds(8);
        await using var keeper = await LeaseKeeper.StartAsync(store, ttl);
        await store.PutAsync("/lease-loss/owned", "yes", keeper.LeaseId);

        _cluster.Kill(0);
        await _cluster.RestartAsync(0);
        await Task.Delay(ttl);

        Assert.False(keeper.Lost.IsCancellationRequested, "the lease was reported lost although the member came back in time");
        Assert.Equal(keeper.LeaseId, (await store.GetAsync("/lease-loss/owned"))!.Lease);
    }

    [Fact]
    public async Task KeepAlive_OneOfThreeMembersHung_MovesToAnotherMember_LeaseLives()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        await using var store = cluster.Client([0, 1, 2]);
        var ttl = TimeSpan.FromSeconds(9);
        await using var keeper = await LeaseKeeper.StartAsync(store, ttl);
        await store.PutAsync("/lease-loss/owned", "yes", keeper.LeaseId);

        cluster.Pause(0);
        await Task.Delay(ttl + TimeSpan.FromSeconds(2));

        Assert.False(keeper.Lost.IsCancellationRequested, "the lease was reported lost although two members were healthy");
        Assert.Equal(keeper.LeaseId, (await store.GetAsync("/lease-loss/owned"))!.Lease);
        cluster.Resume(0);
    }

    /// <summary>Injects <paramref name="fault"/> and returns how long after it <see cref="LeaseKeeper.Lost"/> fired.</summary>
    private static async Task<TimeSpan> MeasureLossAsync(LeaseKeeper keeper, Action fault, TimeSpan timeout)
    {
        Assert.False(keeper.Lost.IsCancellationRequested);
        var lost = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = new Stopwatch();
        using var registration = keeper.Lost.Register(() => lost.TrySetResult(clock.Elapsed));
        clock.Start();
        fault();
        return await lost.Task.WaitAsync(timeout);
    }
}
