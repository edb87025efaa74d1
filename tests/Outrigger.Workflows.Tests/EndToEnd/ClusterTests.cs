using Outrigger.Client;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>
/// Three sidecar processes on one real etcd (the etcd coordination backend, unchanged engine), each with its own app:
/// C# on node-1 and node-3, Python on node-2. A workflow runs on all three replicas.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("wf-cluster");
    private readonly List<IAsyncDisposable> _processes = [];
    private readonly List<SidecarNode> _nodes = [];
    private readonly List<string> _logs = [];

    public async Task InitializeAsync()
    {
        var client = Ports.Free();
        var etcd = ChildProcess.Start("etcd",
        [
            "--name", "wf-test", "--data-dir", Path.Combine(_directory.Path, "etcd"),
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{Ports.Free()}",
        ]);
        _processes.Add(etcd);
        var coordination = $"coordination:\n  backend: etcd\n  etcd:\n    endpoints: http://127.0.0.1:{client}";
        for (var i = 1; i <= 3; i++)
        {
            var node = new SidecarNode($"node-{i}", _directory.Path, coordination);
            _nodes.Add(node);
            await node.StartAsync();
            var log = Path.Combine(_directory.Path, $"app-{i}.log");
            _logs.Add(log);
            var app = i == 2
                ? ChildProcess.StartPython("test_app.py", "--sidecar", node.SidecarUrl, "--log", log)
                : ChildProcess.StartSelf("app", "--sidecar", node.SidecarUrl, "--log", log);
            _processes.Add(app);
            await app.WaitForLineAsync("REGISTERED");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task HundredCheckpoints_HistoryIdenticalAsSeenByEveryApp_ResultReadableFromAnyNode()
    {
        using var first = new WorkflowManagementClient(_nodes[0].NodeUrl);

        var outcome = await first.RunAsync("counter", 1, """{"n": 100, "delay_ms": 0}""", "hundred", TimeSpan.FromSeconds(90));

        Assert.Equal(WorkflowState.Completed, outcome.State);
        var details = await first.GetAsync("hundred");
        Assert.Equal(3, details.Replicas.Count);
        Assert.Equal(100, details.Checkpoints.Count);
        var committed = details.Checkpoints.Select(c => $"{c.Name} {WorkflowManagementClient.Text(c.Value)}").ToList();
        foreach (var log in _logs)
        {
            // Each app's own record of the checkpoint values it was handed, in order (owner and standbys alike).
            await Wait.UntilAsync(() => Seen(log).Count >= 100, $"{Path.GetFileName(log)} saw every checkpoint");
            Assert.Equal(committed, Seen(log));
        }

        // Only the owner computes: one app, unless ownership moved (a lease expired on a loaded machine: a new epoch),
        // and then each step once, plus at most the one in flight at each move.
        var computed = _logs.SelectMany(log => File.ReadAllLines(log)).Where(l => l.StartsWith("compute hundred ", StringComparison.Ordinal)).ToList();
        Assert.Equal(100, computed.Distinct().Count());
        Assert.InRange(computed.Count, 100, 100 + (int)details.Epoch - 1);
        if (details.Epoch == 1)
        {
            Assert.Single(_logs, log => File.ReadAllLines(log).Any(l => l.StartsWith("compute ", StringComparison.Ordinal)));
        }
        foreach (var node in _nodes)
        {
            using var management = new WorkflowManagementClient(node.NodeUrl);
            Assert.Equal(outcome.ResultJson, (await management.WaitAsync("hundred", TimeSpan.FromSeconds(5))).ResultJson);
        }
    }

    [Fact]
    public async Task OwnerSidecarKilled_StandbyTakesOverAfterLeaseExpiry_CompletesOnce()
    {
        using var first = new WorkflowManagementClient(_nodes[0].NodeUrl);
        using var second = new WorkflowManagementClient(_nodes[1].NodeUrl);
        await first.StartAsync("counter", 1, """{"n": 20, "delay_ms": 100}""", "failover");
        await Wait.UntilAsync(async () => (await second.GetAsync("failover")).Checkpoints.Count >= 5, "a few checkpoints are committed");
        Assert.Equal("node-1", (await second.GetAsync("failover")).Owner);

        await _nodes[0].KillAsync();
        var outcome = await second.WaitAsync("failover", TimeSpan.FromSeconds(60));

        Assert.Equal(WorkflowState.Completed, outcome.State);
        Assert.Equal(Enumerable.Range(0, 20).Sum(i => i * 10).ToString(System.Globalization.CultureInfo.InvariantCulture), outcome.ResultJson);
        var details = await second.GetAsync("failover");
        Assert.NotEqual("node-1", details.Owner);
        Assert.True(details.Epoch >= 2);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"step-{i}"), details.Checkpoints.Select(c => c.Name));
        Assert.Contains(details.Checkpoints, c => c.Node == "node-1" && c.Epoch == 1);
        Assert.Contains(details.Checkpoints, c => c.Node != "node-1" && c.Epoch >= 2);
    }

    /// <summary>Raw streams on node-1 (owner) and node-2 (standby) run type "raw": the standby's proposal is refused as not the owner's, naming the owner.</summary>
    [Fact]
    public async Task ProposalFromStandbyReplica_RefusedNotOwner_StandbyStillGetsTheCommittedCheckpoint()
    {
        await using var raw = ChildProcess.StartPython("raw_stream.py",
            "--sidecar", $"127.0.0.1:{_nodes[0].SidecarPort}", "--sidecar", $"127.0.0.1:{_nodes[1].SidecarPort}", "--node", _nodes[0].NodeUrl, "--id", "raw-standby", "non-owner");
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await raw.WaitForLineAsync("{", TimeSpan.FromSeconds(60)))!;

        var refused = Assert.Single(answer["non_owner_errors"]!.AsArray())!;
        Assert.Equal("NOT_OWNER", refused["code"]!.GetValue<string>());
        Assert.Contains("node-1", refused["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(answer["executed"]!["1"]!.GetValue<bool>());
        Assert.True(answer["executed"]!["0"]!.GetValue<bool>());
        Assert.Equal(["c"], answer["seen"]!["1"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("done", answer["result"]!["result"]!.GetValue<string>());
    }

    private static List<string> Seen(string log) =>
        File.Exists(log)
            ? File.ReadAllLines(log).Where(l => l.StartsWith("cp hundred ", StringComparison.Ordinal)).Select(l => l["cp hundred ".Length..]).ToList()
            : [];
}
