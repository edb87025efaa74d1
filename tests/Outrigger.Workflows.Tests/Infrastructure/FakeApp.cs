using System.Threading.Channels;
using Google.Protobuf;
using Outrigger.Workflows.Apps;
using Outrigger.Workflows.Engine;
using Raftoral.Sidecar;

namespace Outrigger.Workflows.Tests.Infrastructure;

/// <summary>An app attached to an engine in-process (no gRPC): sends AppMessages, collects SidecarMessages in order.</summary>
internal sealed class FakeApp : IAsyncDisposable
{
    private readonly WorkflowEngine _engine;
    private readonly Channel<SidecarMessage> _received = Channel.CreateUnbounded<SidecarMessage>();
    private readonly Task _reader;
    private readonly Queue<SidecarMessage> _stash = new();
    private bool _closed;

    public FakeApp(WorkflowEngine engine, string name = "fake")
    {
        _engine = engine;
        Session = engine.Open(name);
        _reader = Task.Run(async () =>
        {
            await foreach (var message in Session.Outbox.ReadAllAsync())
            {
                _received.Writer.TryWrite(message);
            }

            _received.Writer.TryComplete();
        });
    }

    public AppSession Session { get; }

    public void Send(AppMessage message) => _engine.Receive(Session, message);

    public async Task RegisterAsync(string name, uint version = 1)
    {
        Send(new AppMessage { RegisterWorkflow = new RegisterWorkflowRequest { WorkflowName = name, Version = version } });
        var skipped = new List<SidecarMessage>();
        while (true)
        {
            var message = await ReadAsync(TimeSpan.FromSeconds(10), "WorkflowRegistered");
            if (message.MessageCase == SidecarMessage.MessageOneofCase.WorkflowRegistered)
            {
                Assert.Equal(name, message.WorkflowRegistered.WorkflowName);
                break;
            }

            skipped.Add(message);
        }

        // Messages that came before the acknowledgement (an execute for a waiting workflow) are read next, in order.
        foreach (var message in skipped)
        {
            _stash.Enqueue(message);
        }
    }

    public void Propose(string workflowId, string name, string value, ulong? sequence = null)
    {
        var proposal = new CheckpointProposal { WorkflowId = workflowId, CheckpointName = name, Value = ByteString.CopyFromUtf8(value) };
        if (sequence is { } seq)
        {
            proposal.Sequence = seq;
        }

        Send(new AppMessage { CheckpointProposal = proposal });
    }

    public void Result(string workflowId, bool success, string result, string error = "") =>
        Send(new AppMessage { WorkflowResult = new WorkflowResult { WorkflowId = workflowId, Success = success, Result = ByteString.CopyFromUtf8(result), Error = error } });

    /// <summary>The next message (of <paramref name="kind"/>, when given: others before it fail the test).</summary>
    public async Task<SidecarMessage> NextAsync(SidecarMessage.MessageOneofCase? kind = null, TimeSpan? timeout = null)
    {
        var message = _stash.Count > 0 ? _stash.Dequeue() : await ReadAsync(timeout ?? TimeSpan.FromSeconds(10), kind?.ToString() ?? "any");
        if (kind is { } expected)
        {
            Assert.True(message.MessageCase == expected, $"expected {expected}, got {message}");
        }

        return message;
    }

    private async Task<SidecarMessage> ReadAsync(TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no message ({what}) arrived in time");
        }
    }

    /// <summary>Asserts nothing arrives for <paramref name="quiet"/>.</summary>
    public async Task NothingAsync(TimeSpan quiet)
    {
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            var message = await _received.Reader.ReadAsync(cts.Token);
            Assert.Fail($"unexpected message {message}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Follows one workflow as an owner app would: execute, then checkpoint events in order; returns them.</summary>
    public async Task<ExecuteWorkflowRequest> ExecutionAsync() => (await NextAsync(SidecarMessage.MessageOneofCase.ExecuteWorkflow)).ExecuteWorkflow;

    public async Task<CheckpointEvent> CheckpointAsync() => (await NextAsync(SidecarMessage.MessageOneofCase.CheckpointEvent)).CheckpointEvent;

    public async Task<StreamError> ErrorAsync() => (await NextAsync(SidecarMessage.MessageOneofCase.Error)).Error;

    public async Task CloseAsync()
    {
        if (!_closed)
        {
            _closed = true;
            _engine.Close(Session);
            await _reader;
        }
    }

    public ValueTask DisposeAsync() => new(CloseAsync());
}
