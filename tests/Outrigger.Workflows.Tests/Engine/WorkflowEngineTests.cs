using System.Text;
using Outrigger.Workflows.Management;
using Outrigger.Workflows.Tests.Infrastructure;
using Raftoral;
using Raftoral.Sidecar;
using Code = Raftoral.Sidecar.StreamError.Types.Code;
using Kind = Raftoral.Sidecar.SidecarMessage.MessageOneofCase;

namespace Outrigger.Workflows.Tests.Engine;

/// <summary>One node: start, execute, checkpoint ordering, results, replay, cancellation and refused messages.</summary>
public sealed class WorkflowEngineTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = new();
    private Outrigger.Workflows.Engine.WorkflowEngine _node = null!;
    private WorkflowDirectory _directory = null!;

    public async Task InitializeAsync()
    {
        _node = await _cluster.StartNodeAsync("node-a");
        _directory = TestCluster.Directory(_node);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private Task<(WorkflowView View, bool Created)> StartAsync(string name = "ping_pong", uint version = 1, string input = "\"ping\"", string? id = null) =>
        _directory.StartAsync(name, version, Encoding.UTF8.GetBytes(input), id, CancellationToken.None);

    [Fact]
    public async Task Start_RegisteredApp_ExecutesOnOwnerWithInput()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");

        var (view, created) = await StartAsync();

        Assert.True(created);
        Assert.Equal(WorkflowStatus.Running, view.Status);
        Assert.Equal("node-a", view.Owner!.Node);
        Assert.Equal(1UL, view.Epoch);
        var execute = await app.ExecutionAsync();
        Assert.Equal(view.Id, execute.WorkflowId);
        Assert.Equal("ping_pong", execute.WorkflowName);
        Assert.True(execute.IsOwner);
        Assert.Equal("\"ping\"", execute.Input.ToStringUtf8());
        Assert.Equal(0UL, execute.CommittedCheckpoints);
    }

    [Fact]
    public async Task Checkpoints_ProposedByOwner_CommittedInOrderAndRecorded()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("counter");
        var (view, _) = await StartAsync("counter");
        await app.ExecutionAsync();

        for (var i = 0; i < 20; i++)
        {
            app.Propose(view.Id, $"step-{i}", $"{i}", (ulong)i);
            var committed = await app.CheckpointAsync();
            Assert.Equal((ulong)i, committed.Sequence);
            Assert.Equal($"step-{i}", committed.CheckpointName);
            Assert.Equal($"{i}", committed.Value.ToStringUtf8());
        }

        app.Result(view.Id, success: true, "\"done\"");
        var finished = await _directory.WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(WorkflowStatus.Completed, finished.Status);
        Assert.Equal("\"done\"", finished.Result!.Result.ToStringUtf8());
        var stored = await _directory.GetAsync(view.Id, withCheckpoints: true, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"step-{i}"), stored!.Checkpoints.Select(c => c.Name));
        Assert.All(stored.Checkpoints, c => Assert.Equal(1UL, c.Epoch));
    }

    [Fact]
    public async Task Checkpoints_PipelinedProposals_KeepTheirOrder()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("counter");
        var (view, _) = await StartAsync("counter");
        await app.ExecutionAsync();

        for (var i = 0; i < 10; i++)
        {
            app.Propose(view.Id, $"step-{i}", $"{i}");
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((ulong)i, (await app.CheckpointAsync()).Sequence);
        }
    }

    [Fact]
    public async Task Result_Failure_RecordedAsFailedNotCompleted()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await app.ExecutionAsync();

        app.Result(view.Id, success: false, "", "boom: the input was wrong");

        var finished = await _directory.WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(WorkflowStatus.Failed, finished.Status);
        Assert.Equal("boom: the input was wrong", finished.Result!.Error);
        Assert.False(ManagementService.ToResponse(finished).Success);
    }

    [Fact]
    public async Task Result_SentTwice_RecordedOnce()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await app.ExecutionAsync();

        app.Result(view.Id, success: true, "\"first\"");
        app.Result(view.Id, success: true, "\"second\"");
        await _directory.WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);
        app.Result(view.Id, success: true, "\"third\"");

        await app.NothingAsync(TimeSpan.FromMilliseconds(300));
        var stored = await _directory.GetAsync(view.Id, withCheckpoints: false, CancellationToken.None);
        Assert.Equal("\"first\"", stored!.Result!.Result.ToStringUtf8());
    }

    [Fact]
    public async Task Start_SameIdTwice_IsIdempotent()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");

        var (first, created) = await StartAsync(id: "order-42");
        var (second, createdAgain) = await StartAsync(id: "order-42");

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(first.Id, second.Id);
        await app.ExecutionAsync();
        await app.NothingAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Start_SameIdOtherType_AlreadyExists()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        await app.RegisterAsync("other");
        await StartAsync(id: "order-43");

        var e = await Assert.ThrowsAsync<WorkflowApiException>(() => StartAsync("other", id: "order-43"));

        Assert.Equal(ApiError.AlreadyExists, e.Error);
        Assert.Contains("ping_pong v1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnregisteredType_FailsAtOnceNamingRegisteredTypes()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");

        var unknownName = await Assert.ThrowsAsync<WorkflowApiException>(() => StartAsync("nope"));
        var unknownVersion = await Assert.ThrowsAsync<WorkflowApiException>(() => StartAsync("ping_pong", version: 2));

        Assert.Equal(ApiError.NoApp, unknownName.Error);
        Assert.Contains("nope v1", unknownName.Message, StringComparison.Ordinal);
        Assert.Contains("registered: ping_pong v1", unknownName.Message, StringComparison.Ordinal);
        Assert.Equal(ApiError.NoApp, unknownVersion.Error);
        Assert.Contains("ping_pong v2", unknownVersion.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 1u, null, "name")]
    [InlineData("ping_pong", 0u, null, "version")]
    [InlineData("ping_pong", 1u, "has/slash", "workflow id")]
    public async Task Start_BadArguments_InvalidArgument(string name, uint version, string? id, string mentioned)
    {
        var e = await Assert.ThrowsAsync<WorkflowApiException>(() => StartAsync(name, version, id: id));

        Assert.Equal(ApiError.InvalidArgument, e.Error);
        Assert.Contains(mentioned, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_HugeInput_TooLarge()
    {
        var e = await Assert.ThrowsAsync<WorkflowApiException>(() => StartAsync(input: "\"" + new string('x', (1 << 20) + 10) + "\""));

        Assert.Equal(ApiError.TooLarge, e.Error);
        Assert.Contains("max_input_bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Versions_SideBySide_StartGoesToTheNamedVersion()
    {
        await using var v1 = new FakeApp(_node, "v1");
        await using var v2 = new FakeApp(_node, "v2");
        await v1.RegisterAsync("ping_pong", 1);
        await v2.RegisterAsync("ping_pong", 2);

        var (second, _) = await StartAsync(version: 2);
        var (first, _) = await StartAsync(version: 1);

        Assert.Equal(first.Id, (await v1.ExecutionAsync()).WorkflowId);
        var execute = await v2.ExecutionAsync();
        Assert.Equal(second.Id, execute.WorkflowId);
        Assert.Equal(2u, execute.Version);
    }

    [Fact]
    public async Task Reconnect_ReplaysCommittedCheckpointsThenContinues()
    {
        var app = new FakeApp(_node, "first");
        await app.RegisterAsync("counter");
        var (view, _) = await StartAsync("counter");
        await app.ExecutionAsync();
        for (var i = 0; i < 3; i++)
        {
            app.Propose(view.Id, $"step-{i}", $"{i}");
            await app.CheckpointAsync();
        }

        await app.CloseAsync();
        await using var again = new FakeApp(_node, "second");
        await again.RegisterAsync("counter");

        var execute = await again.ExecutionAsync();
        Assert.Equal(view.Id, execute.WorkflowId);
        Assert.True(execute.IsOwner);
        Assert.Equal(3UL, execute.CommittedCheckpoints);
        for (var i = 0; i < 3; i++)
        {
            var replayed = await again.CheckpointAsync();
            Assert.Equal($"step-{i}", replayed.CheckpointName);
        }

        again.Propose(view.Id, "step-3", "3", 3);
        Assert.Equal(3UL, (await again.CheckpointAsync()).Sequence);
    }

    [Fact]
    public async Task Proposal_UnknownWorkflow_RejectedWithReason()
    {
        await using var app = new FakeApp(_node);

        app.Propose("no-such-workflow", "step", "1");
        app.Result("no-such-workflow-either", success: true, "1");

        var errors = new[] { await app.ErrorAsync(), await app.ErrorAsync() }.OrderBy(e => e.WorkflowId.Length).ToArray();
        Assert.All(errors, e => Assert.Equal(Code.UnknownWorkflow, e.Code));
        Assert.Equal("no-such-workflow", errors[0].WorkflowId);
        Assert.Equal("step", errors[0].CheckpointName);
        Assert.Contains("unknown workflow 'no-such-workflow'", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal("no-such-workflow-either", errors[1].WorkflowId);
    }

    [Fact]
    public async Task Proposal_FinishedWorkflow_RejectedAsFinished()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await app.ExecutionAsync();
        app.Result(view.Id, success: true, "1");
        await _directory.WaitAsync(view.Id, TimeSpan.FromSeconds(10), CancellationToken.None);

        app.Propose(view.Id, "late", "1");

        var error = await app.ErrorAsync();
        Assert.Equal(Code.Finished, error.Code);
    }

    [Fact]
    public async Task Proposal_TooLarge_RejectedAndNothingWritten()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await app.ExecutionAsync();

        app.Propose(view.Id, "huge", new string('x', 64 * 1024 + 1));

        var error = await app.ErrorAsync();
        Assert.Equal(Code.TooLarge, error.Code);
        Assert.Contains("65537 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_checkpoint_bytes", error.Message, StringComparison.Ordinal);
        app.Propose(view.Id, "small", "1", 0);
        Assert.Equal(0UL, (await app.CheckpointAsync()).Sequence);
    }

    [Fact]
    public async Task Proposal_WrongSequence_RejectedOutOfOrder()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await app.ExecutionAsync();

        app.Propose(view.Id, "skip", "1", 5);

        var error = await app.ErrorAsync();
        Assert.Equal(Code.OutOfOrder, error.Code);
        Assert.Contains("#5", error.Message, StringComparison.Ordinal);
        Assert.Contains("#0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_Empty_InvalidMessage()
    {
        await using var app = new FakeApp(_node);

        app.Send(new AppMessage());
        app.Send(new AppMessage { RegisterWorkflow = new RegisterWorkflowRequest { WorkflowName = "x", Version = 0 } });
        app.Send(new AppMessage { CheckpointProposal = new CheckpointProposal { WorkflowId = "", CheckpointName = "x" } });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Code.InvalidMessage, (await app.ErrorAsync()).Code);
        }
    }

    [Fact]
    public async Task Heartbeat_EchoesTimestamp()
    {
        await using var app = new FakeApp(_node);

        app.Send(new AppMessage { Heartbeat = new HeartbeatRequest { Timestamp = 12345 } });

        Assert.Equal(12345UL, (await app.NextAsync(Kind.HeartbeatResponse)).HeartbeatResponse.Timestamp);
    }

    [Fact]
    public async Task Cancel_RunningWorkflow_AppToldAndStatusCancelled()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await app.ExecutionAsync();

        var (cancelled, after) = await _directory.CancelAsync(view.Id, "operator said so", CancellationToken.None);

        Assert.True(cancelled);
        Assert.Equal(WorkflowStatus.Cancelled, after.Status);
        var message = await app.NextAsync(Kind.WorkflowCancellation);
        Assert.Contains("operator said so", message.WorkflowCancellation.Reason, StringComparison.Ordinal);
        app.Result(view.Id, success: true, "\"too late\"");
        var (again, still) = await _directory.CancelAsync(view.Id, "twice", CancellationToken.None);
        Assert.False(again);
        Assert.Equal(WorkflowStatus.Cancelled, still.Status);
    }

    [Fact]
    public async Task Wait_UnknownWorkflow_NotFound()
    {
        var e = await Assert.ThrowsAsync<WorkflowApiException>(() => _directory.WaitAsync("missing", TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.Equal(ApiError.NotFound, e.Error);
    }

    [Fact]
    public async Task Wait_Timeout_ReturnsUnfinished()
    {
        await using var app = new FakeApp(_node);
        await app.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();

        var waited = await _directory.WaitAsync(view.Id, TimeSpan.FromMilliseconds(200), CancellationToken.None);

        Assert.False(waited.IsFinished);
        Assert.Equal(WorkflowStatus.Running, waited.Status);
    }

    [Fact]
    public async Task App_SilentPastTimeout_StreamClosedAndWorkflowMovesToAnotherApp()
    {
        await using var silent = new FakeApp(_node, "silent");
        await silent.RegisterAsync("ping_pong");
        var (view, _) = await StartAsync();
        await silent.ExecutionAsync();
        await using var live = new FakeApp(_node, "live");
        await live.RegisterAsync("ping_pong");
        using var beat = new CancellationTokenSource();
        var heartbeats = Task.Run(async () =>
        {
            while (!beat.IsCancellationRequested)
            {
                live.Send(new AppMessage { Heartbeat = new HeartbeatRequest { Timestamp = 1 } });
                await Task.Delay(200);
            }
        });

        await Wait.UntilAsync(() => silent.Session.Aborted.IsCancellationRequested, "the silent stream is closed");
        await silent.CloseAsync();

        SidecarMessage next;
        do
        {
            next = await live.NextAsync();
        }
        while (next.MessageCase == Kind.HeartbeatResponse);
        Assert.Equal(view.Id, next.ExecuteWorkflow.WorkflowId);
        Assert.Contains("heartbeat", silent.Session.AbortReason!, StringComparison.Ordinal);
        await beat.CancelAsync();
        await heartbeats;
    }
}
