using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination;
using Outrigger.Coordination.Embedded;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Management;
using Raftoral.Sidecar;

namespace WorkflowBench;

/// <summary>
/// Embedded mode: the same engine and store, with a C# handler attached in-process (no gRPC, no serialisation): it
/// reads the engine's messages for its session and answers with proposals and results as the SDK would.
/// </summary>
internal static class Embedded
{
    public static async Task<RunResult> RunAsync(string directory, string? etcd, int concurrency, double seconds, int checkpoints, Latencies latencies)
    {
        await using var store = etcd is null
            ? CoordinationStore.OpenEmbedded(new EmbeddedStoreOptions { Directory = Path.Combine(directory, "coordination") }, TimeProvider.System, NullLoggerFactory.Instance)
            : CoordinationStore.OpenEtcd(new Outrigger.Coordination.Etcd.EtcdStoreOptions { Endpoints = [new Uri(etcd)] }, TimeProvider.System, NullLoggerFactory.Instance);
        await using var engine = new WorkflowEngine(store, new EngineOptions { NodeId = "bench", Replicas = 1 }, NullLoggerFactory.Instance);
        await engine.StartAsync(CancellationToken.None);
        var session = engine.Open("in-process");
        var proposedAt = new ConcurrentDictionary<string, long>();
        var counts = new ConcurrentDictionary<string, int>();
        var registered = new TaskCompletionSource();
        var handler = Task.Run(async () =>
        {
            await foreach (var message in session.Outbox.ReadAllAsync())
            {
                switch (message.MessageCase)
                {
                    case SidecarMessage.MessageOneofCase.WorkflowRegistered:
                        registered.TrySetResult();
                        break;
                    case SidecarMessage.MessageOneofCase.ExecuteWorkflow:
                        var execute = message.ExecuteWorkflow;
                        counts[execute.WorkflowId] = int.Parse(execute.Input.ToStringUtf8(), CultureInfo.InvariantCulture);
                        Propose(engine, session, execute.WorkflowId, 0, proposedAt);
                        break;
                    case SidecarMessage.MessageOneofCase.CheckpointEvent:
                        var committed = message.CheckpointEvent;
                        latencies.Add(Stopwatch.GetElapsedTime(proposedAt[committed.WorkflowId]));
                        var next = (int)committed.Sequence + 1;
                        if (next < counts[committed.WorkflowId])
                        {
                            Propose(engine, session, committed.WorkflowId, next, proposedAt);
                        }
                        else
                        {
                            engine.Receive(session, new AppMessage { WorkflowResult = new WorkflowResult { WorkflowId = committed.WorkflowId, Success = true, Result = ByteString.CopyFromUtf8("1") } });
                            counts.TryRemove(committed.WorkflowId, out _);
                        }

                        break;
                }
            }
        });
        engine.Receive(session, new AppMessage { RegisterWorkflow = new RegisterWorkflowRequest { WorkflowName = "bench", Version = 1 } });
        await registered.Task;
        var result = await Driver.RunAsync(new WorkflowDirectory(engine), concurrency, seconds, checkpoints, latencies);
        engine.Close(session);
        await handler;
        return result;
    }

    private static void Propose(WorkflowEngine engine, Outrigger.Workflows.Apps.AppSession session, string workflowId, int step, ConcurrentDictionary<string, long> proposedAt)
    {
        proposedAt[workflowId] = Stopwatch.GetTimestamp();
        var proposal = new CheckpointProposal { WorkflowId = workflowId, CheckpointName = $"step-{step}", Value = ByteString.CopyFrom(BitConverter.GetBytes(step)), Sequence = (ulong)step };
        engine.Receive(session, new AppMessage { CheckpointProposal = proposal });
    }
}
