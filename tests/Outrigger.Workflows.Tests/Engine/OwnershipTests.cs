using System.Text;
using Outrigger.Coordination;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Management;
using Outrigger.Workflows.Tests.Infrastructure;
using Raftoral;
using Raftoral.Engine.V1;
using Code = Raftoral.Sidecar.StreamError.Types.Code;
using Kind = Raftoral.Sidecar.SidecarMessage.MessageOneofCase;

namespace Outrigger.Workflows.Tests.Engine;

/// <summary>Several nodes on one store: standbys follow, ownership moves on failure, and a deposed owner is fenced.</summary>
public sealed class OwnershipTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = new();
    private WorkflowEngine _a = null!;
    private WorkflowEngine _b = null!;

    public async Task InitializeAsync()
    {
        _a = await _cluster.StartNodeAsync("node-a");
        _b = await _cluster.StartNodeAsync("node-b");
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<WorkflowView> StartAsync(WorkflowEngine on, string? id = null)
    {
        var (view, _) = await TestCluster.Directory(on).StartAsync("counter", 1, Encoding.UTF8.GetBytes("0"), id, CancellationToken.None);
        return view;
    }

    private static async Task<List<string>> CommitAsync(FakeApp owner, string workflowId, int from, int count)
    {
        var names = new List<string>();
        for (var i = from; i < from + count; i++)
        {
            owner.Propose(workflowId, $"step-{i}", $"{i}", (ulong)i);
            names.Add((await owner.CheckpointAsync()).CheckpointName);
        }

        return names;
    }

    [Fact]
    public async Task Standby_ReceivesEveryCommittedCheckpointInOrder()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");

        var view = await StartAsync(_a);
        Assert.Equal(["node-a", "node-b"], view.Meta.Replicas);
        Assert.True((await appA.ExecutionAsync()).IsOwner);
        Assert.False((await appB.ExecutionAsync()).IsOwner);
        var committed = await CommitAsync(appA, view.Id, 0, 5);

        var seen = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var e = await appB.CheckpointAsync();
            Assert.Equal((ulong)i, e.Sequence);
            seen.Add(e.CheckpointName);
        }

        Assert.Equal(committed, seen);
    }

    [Fact]
    public async Task Proposal_FromStandby_RejectedNamingTheOwner()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var view = await StartAsync(_a);
        await appB.ExecutionAsync();

        appB.Propose(view.Id, "step-0", "evil");

        var error = await appB.ErrorAsync();
        Assert.Equal(Code.NotOwner, error.Code);
        Assert.Contains("node node-b is not the owner", error.Message, StringComparison.Ordinal);
        Assert.Contains("the owner is node node-a (epoch 1)", error.Message, StringComparison.Ordinal);
        var stored = await TestCluster.Directory(_b).GetAsync(view.Id, withCheckpoints: true, CancellationToken.None);
        Assert.Empty(stored!.Checkpoints);
    }

    [Fact]
    public async Task Result_FromStandby_Dropped_OwnersResultRecordedOnce()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var view = await StartAsync(_a);
        await appA.ExecutionAsync();
        await appB.ExecutionAsync();

        appB.Result(view.Id, success: true, "\"standby\"");
        await Task.Delay(200);
        appA.Result(view.Id, success: true, "\"owner\"");

        var finished = await TestCluster.Directory(_b).WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal("\"owner\"", finished.Result!.Result.ToStringUtf8());
        Assert.Equal("node-a", finished.Result.Node);
        Assert.Contains("finished", (await appB.NextAsync(Kind.WorkflowCancellation)).WorkflowCancellation.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandbyFinishedFirst_ThenOwnerDies_StandbysResultRecorded()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var view = await StartAsync(_a);
        await appA.ExecutionAsync();
        await appB.ExecutionAsync();
        await CommitAsync(appA, view.Id, 0, 1);
        await appB.CheckpointAsync();
        appB.Result(view.Id, success: true, "\"from the standby\"");
        await Task.Delay(100);

        await appA.CloseAsync();
        await _cluster.StopNodeAsync(_a);

        var finished = await TestCluster.Directory(_b).WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(WorkflowStatus.Completed, finished.Status);
        Assert.Equal("\"from the standby\"", finished.Result!.Result.ToStringUtf8());
        Assert.Equal("node-b", finished.Result.Node);
        Assert.Equal(2UL, finished.Result.Epoch);
    }

    [Fact]
    public async Task OwnerNodeStops_StandbyTakesOverAfterCommittedCheckpointsAndContinues()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var view = await StartAsync(_a);
        await appA.ExecutionAsync();
        await appB.ExecutionAsync();
        await CommitAsync(appA, view.Id, 0, 3);

        await appA.CloseAsync();
        await _cluster.StopNodeAsync(_a);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((ulong)i, (await appB.CheckpointAsync()).Sequence);
        }

        var change = (await appB.NextAsync(Kind.OwnershipChange)).OwnershipChange;
        Assert.True(change.IsOwner);
        Assert.Equal(2UL, change.Epoch);
        Assert.Equal("node-b", change.OwnerNode);
        await CommitAsync(appB, view.Id, 3, 2);
        appB.Result(view.Id, success: true, "5");
        var finished = await TestCluster.Directory(_b).WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(WorkflowStatus.Completed, finished.Status);
        var stored = await TestCluster.Directory(_b).GetAsync(view.Id, withCheckpoints: true, CancellationToken.None);
        Assert.Equal([1UL, 1UL, 1UL, 2UL, 2UL], stored!.Checkpoints.Select(c => c.Epoch));
        Assert.Equal(["node-a", "node-a", "node-a", "node-b", "node-b"], stored.Checkpoints.Select(c => c.Node));
    }

    [Fact]
    public async Task OwnerLeaseExpires_DeposedOwnerIsFenced_NewOwnerContinues()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var view = await StartAsync(_a);
        await appA.ExecutionAsync();
        await appB.ExecutionAsync();
        await CommitAsync(appA, view.Id, 0, 2);
        var ownerLease = OwnerRecord.Parser.ParseFrom((await _cluster.Store.GetAsync(_a.Keys.Owner(view.Id)))!.Value.Span).LeaseId;

        // As if node-a were partitioned away long enough for its lease to expire: its keys vanish, node-b claims.
        await _cluster.Store.RevokeLeaseAsync(ownerLease);
        Assert.Equal(0UL, (await appB.CheckpointAsync()).Sequence);
        Assert.Equal(1UL, (await appB.CheckpointAsync()).Sequence);
        var change = (await appB.NextAsync(Kind.OwnershipChange)).OwnershipChange;
        Assert.True(change.IsOwner);
        var lost = (await appA.NextAsync(Kind.OwnershipChange)).OwnershipChange;
        Assert.False(lost.IsOwner);
        appA.Propose(view.Id, "step-2", "from the deposed owner");
        var error = await appA.ErrorAsync();
        Assert.Equal(Code.NotOwner, error.Code);
        await CommitAsync(appB, view.Id, 2, 1);
        var stored = await TestCluster.Directory(_b).GetAsync(view.Id, withCheckpoints: true, CancellationToken.None);
        Assert.Equal("2", stored!.Checkpoints[2].Value.ToStringUtf8());
        Assert.Equal("node-b", stored.Checkpoints[2].Node);
    }

    [Fact]
    public async Task NodeRestartsWithSameId_TakesItsWorkflowsBackAtOnce_OldProcessFenced()
    {
        await using var old = new FakeApp(_a, "old");
        await old.RegisterAsync("counter");
        var view = await StartAsync(_a, "restart-1");
        await old.ExecutionAsync();
        await CommitAsync(old, view.Id, 0, 2);

        // A second process with the same node id (the restarted sidecar) while the first one still runs (a zombie).
        var restarted = await _cluster.StartNodeAsync("node-a");
        await using var fresh = new FakeApp(restarted, "fresh");
        await fresh.RegisterAsync("counter");

        var execute = await fresh.ExecutionAsync();
        Assert.Equal(2UL, execute.CommittedCheckpoints);
        Assert.Equal("step-0", (await fresh.CheckpointAsync()).CheckpointName);
        Assert.Equal("step-1", (await fresh.CheckpointAsync()).CheckpointName);
        if (!execute.IsOwner)
        {
            var change = (await fresh.NextAsync(Kind.OwnershipChange)).OwnershipChange;
            Assert.True(change.IsOwner);
            Assert.Equal(2UL, change.Epoch);
        }

        await Wait.UntilAsync(() => old.Session.Aborted.IsCancellationRequested, "the old process closes its app streams");
        Assert.Contains("another sidecar process now runs as node node-a", old.Session.AbortReason!, StringComparison.Ordinal);
        await CommitAsync(fresh, view.Id, 2, 1);
        var owner = OwnerRecord.Parser.ParseFrom((await _cluster.Store.GetAsync(_a.Keys.Owner(view.Id)))!.Value.Span);
        Assert.Equal(2UL, owner.Epoch);
        Assert.NotEqual(0, owner.LeaseId);
    }

    [Fact]
    public async Task OwnerWithoutApp_ReleasesAfterGrace_ToReplicaWithApp()
    {
        var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var view = await StartAsync(_a);
        await appA.ExecutionAsync();
        await appB.ExecutionAsync();
        await CommitAsync(appA, view.Id, 0, 1);
        await appB.CheckpointAsync();

        await appA.CloseAsync();

        var change = (await appB.NextAsync(Kind.OwnershipChange, TimeSpan.FromSeconds(10))).OwnershipChange;
        Assert.True(change.IsOwner);
        Assert.Equal(2UL, change.Epoch);
        await CommitAsync(appB, view.Id, 1, 1);
    }

    [Fact]
    public async Task Claim_ManyWorkflowsBothNodesRace_ExactlyOneOwnerEach()
    {
        await using var appA = new FakeApp(_a, "a");
        await using var appB = new FakeApp(_b, "b");
        await appA.RegisterAsync("counter");
        await appB.RegisterAsync("counter");
        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add((await StartAsync(i % 2 == 0 ? _a : _b)).Id);
        }

        foreach (var id in ids)
        {
            await _cluster.Store.DeleteAsync(_a.Keys.Owner(id));
        }

        await Wait.UntilAsync(async () =>
        {
            var owners = await _cluster.Store.RangeAsync(KeyRange.Prefix(_a.Keys.OwnerPrefix));
            return owners.Kvs.Count == ids.Count;
        }, "every workflow has an owner again");
        foreach (var id in ids)
        {
            var owner = OwnerRecord.Parser.ParseFrom((await _cluster.Store.GetAsync(_a.Keys.Owner(id)))!.Value.Span);
            Assert.Equal(2UL, owner.Epoch);
        }
    }
}
