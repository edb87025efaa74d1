using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outrigger.Client;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>
/// Real processes: the sidecar (the <c>outrigger</c> binary, <c>outrigger start</c>), a C# app on the SDK and a
/// Python app on the Python SDK (grpcio). Processes are killed with SIGKILL where a test says "killed".
/// </summary>
public sealed class ProcessTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("wf-e2e");
    private readonly List<IAsyncDisposable> _cleanup = [];
    private SidecarNode _sidecar = null!;
    private WorkflowManagementClient _management = null!;

    public async Task InitializeAsync()
    {
        _sidecar = new SidecarNode("node-1", _directory.Path);
        await _sidecar.StartAsync();
        _management = new WorkflowManagementClient(_sidecar.NodeUrl);
    }

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            await item.DisposeAsync();
        }

        await _sidecar.DisposeAsync();
        _management.Dispose();
        _directory.Dispose();
    }

    private async Task<ChildProcess> StartAppAsync(string language, string log, params string[] extra)
    {
        var app = language == "python"
            ? ChildProcess.StartPython("test_app.py", ["--sidecar", _sidecar.SidecarUrl, "--log", log, .. extra])
            : ChildProcess.StartSelf(["app", "--sidecar", _sidecar.SidecarUrl, "--log", log, .. extra]);
        _cleanup.Add(app);
        await app.WaitForLineAsync("REGISTERED");
        return app;
    }

    [Fact]
    public async Task PingPong_CSharpAppV1_PythonAppV2_OverHttpAndGrpc()
    {
        await StartAppAsync("csharp", Path.Combine(_directory.Path, "cs.log"));
        await StartAppAsync("python", Path.Combine(_directory.Path, "py.log"), "--ping-pong-version", "2");
        using var http = new HttpClient { BaseAddress = new Uri(_sidecar.NodeUrl) };

        using var started = await http.PostAsJsonAsync("/workflow/execute", new JsonObject { ["name"] = "ping_pong", ["version"] = 1, ["input"] = "ping" });
        var id = (await started.Content.ReadFromJsonAsync<JsonObject>())!["workflow_id"]!.GetValue<string>();
        var waited = await http.GetFromJsonAsync<JsonObject>($"/workflow/wait?workflow_id={id}&timeout_seconds=30");
        var python = await _management.RunAsync("ping_pong", 2, "\"ping\"", timeout: TimeSpan.FromSeconds(30));
        var pythonOther = await _management.RunAsync("ping_pong", 2, "\"pong\"", timeout: TimeSpan.FromSeconds(30));

        Assert.Equal("pong", waited!["result"]!.GetValue<string>());
        Assert.Equal("COMPLETED", waited["status"]!.GetValue<string>());
        Assert.Equal(("\"pong\"", WorkflowState.Completed), (python.ResultJson, python.State));
        Assert.Equal("\"ping\"", pythonOther.ResultJson);
    }

    [Theory]
    [InlineData("csharp")]
    [InlineData("python")]
    public async Task AppKilledMidWorkflow_RestartedApp_ResumesFromLastCheckpoint_CompletesOnce(string language)
    {
        var log = Path.Combine(_directory.Path, $"{language}.log");
        var app = await StartAppAsync(language, log);
        var id = await _management.StartAsync("counter", 1, """{"n": 12, "delay_ms": 150}""", "resume-" + language);
        await Wait.UntilAsync(async () => (await _management.GetAsync(id)).Checkpoints.Count >= 4, "a few checkpoints are committed");

        await app.KillAsync();
        var committedAtKill = (await _management.GetAsync(id)).Checkpoints.Count;
        var computedBeforeRestart = Lines(log, "compute").Count;
        await StartAppAsync(language, log);
        var outcome = await _management.WaitAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(WorkflowState.Completed, outcome.State);
        Assert.Equal(Enumerable.Range(0, 12).Sum(i => i * 10).ToString(System.Globalization.CultureInfo.InvariantCulture), outcome.ResultJson);
        var history = await _management.GetAsync(id);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"step-{i}"), history.Checkpoints.Select(c => c.Name));
        var computedAfterRestart = Lines(log, "compute").Skip(computedBeforeRestart).Select(l => l.Split(' ')[2]).ToList();
        // Committed checkpoints are replayed, never computed again; the restarted app starts at most one step back
        // (a value computed but not yet committed when the app died is computed again).
        Assert.DoesNotContain(computedAfterRestart, step => int.Parse(step["step-".Length..], System.Globalization.CultureInfo.InvariantCulture) < committedAtKill);
        Assert.Equal(computedAfterRestart.Count, computedAfterRestart.Distinct().Count());
        var completed = await _management.ListAsync(WorkflowState.Completed);
        Assert.Single(completed, w => w.WorkflowId == id);
    }

    [Fact]
    public async Task SidecarKilled_Restarted_KeepsCommittedCheckpointsAndResults_WorkflowCompletes()
    {
        var log = Path.Combine(_directory.Path, "cs.log");
        await StartAppAsync("csharp", log);
        var done = await _management.RunAsync("ping_pong", 1, "\"ping\"", "before-crash", TimeSpan.FromSeconds(30));
        var id = await _management.StartAsync("counter", 1, """{"n": 15, "delay_ms": 100}""", "across-crash");
        await Wait.UntilAsync(async () => (await _management.GetAsync(id)).Checkpoints.Count >= 5, "a few checkpoints are committed");
        var beforeKill = await _management.GetAsync(id);

        await _sidecar.KillAsync();
        await _sidecar.StartAsync();

        var outcome = await _management.WaitAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(WorkflowState.Completed, outcome.State);
        var after = await _management.GetAsync(id);
        Assert.Equal(15, after.Checkpoints.Count);
        for (var i = 0; i < beforeKill.Checkpoints.Count; i++)
        {
            Assert.Equal(beforeKill.Checkpoints[i].Value, after.Checkpoints[i].Value);
            Assert.Equal(beforeKill.Checkpoints[i].Epoch, after.Checkpoints[i].Epoch);
        }

        Assert.True(after.Epoch > beforeKill.Epoch, "the restarted sidecar took ownership with a new epoch");
        var earlier = await _management.WaitAsync(done.WorkflowId, TimeSpan.FromSeconds(5));
        Assert.Equal(("\"pong\"", WorkflowState.Completed), (earlier.ResultJson, earlier.State));
    }

    /// <summary>
    /// Replicas are nodes (ARCHITECTURE.md, "workflows"): on one node an instance runs on one app stream (the least
    /// busy that registered its type); the node's other apps are its failover. Both apps' views of the 100 checkpoints
    /// are the committed history: the first app's up to its death, the second's all of it (replayed, then live).
    /// </summary>
    [Fact]
    public async Task HundredCheckpoints_CSharpAndPythonAppsOnOneNode_AssignedAppKilled_OtherContinues_SameHistory()
    {
        var logs = new Dictionary<string, string> { ["csharp"] = Path.Combine(_directory.Path, "h-cs.log"), ["python"] = Path.Combine(_directory.Path, "h-py.log") };
        var apps = new Dictionary<string, ChildProcess> { ["csharp"] = await StartAppAsync("csharp", logs["csharp"]), ["python"] = await StartAppAsync("python", logs["python"]) };
        var id = await _management.StartAsync("counter", 1, """{"n": 100, "delay_ms": 20}""", "hundred");
        await Wait.UntilAsync(async () => (await _management.GetAsync(id)).Checkpoints.Count >= 30, "30 checkpoints are committed", TimeSpan.FromSeconds(60));
        var first = logs.Single(l => Lines(l.Value, "compute").Count > 0).Key;
        var second = first == "csharp" ? "python" : "csharp";

        await apps[first].KillAsync();
        var outcome = await _management.WaitAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal(WorkflowState.Completed, outcome.State);
        Assert.Equal(Enumerable.Range(0, 100).Sum(i => i * 10).ToString(System.Globalization.CultureInfo.InvariantCulture), outcome.ResultJson);
        var committed = (await _management.GetAsync(id)).Checkpoints.Select(c => $"{c.Name} {WorkflowManagementClient.Text(c.Value)}").ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"step-{i} {i * 10}"), committed);
        Assert.Equal(committed, Seen(logs[second], id));
        var firstSaw = Seen(logs[first], id);
        Assert.True(firstSaw.Count >= 30, $"the first app saw {firstSaw.Count} checkpoints");
        Assert.Equal(committed.Take(firstSaw.Count), firstSaw);
        // Each step computed once, except at most the one in flight when the first app died.
        var computed = logs.Values.SelectMany(l => Lines(l, "compute")).Where(l => l.Split(' ')[1] == id).Select(l => l.Split(' ')[2]).ToList();
        Assert.InRange(computed.Count, 100, 101);
        Assert.Equal(100, computed.Distinct().Count());
    }

    [Fact]
    public async Task CheckpointOverLimit_AppGetsClearError_WorkflowFailsWithIt_NothingCommitted()
    {
        await StartAppAsync("csharp", Path.Combine(_directory.Path, "big.log"));

        var outcome = await _management.RunAsync("big", 1, "2000000", "too-big", TimeSpan.FromSeconds(30));
        var fine = await _management.RunAsync("big", 1, "1000", "fine", TimeSpan.FromSeconds(30));

        Assert.Equal(WorkflowState.Failed, outcome.State);
        Assert.Contains("checkpoint 'blob' of workflow too-big is 2000002 bytes, over the limit of 1048576 bytes", outcome.Error, StringComparison.Ordinal);
        Assert.Empty((await _management.GetAsync("too-big")).Checkpoints);
        Assert.Equal(("1000", WorkflowState.Completed), (fine.ResultJson, fine.State));
    }

    [Fact]
    public async Task Metrics_OnTheAdminPort_WithTheDocumentedNames()
    {
        await StartAppAsync("csharp", Path.Combine(_directory.Path, "m.log"));
        await _management.RunAsync("ping_pong", 1, "\"ping\"", "metrics-ok", TimeSpan.FromSeconds(30));
        await _management.RunAsync("fail", 1, "\"x\"", "metrics-fail", TimeSpan.FromSeconds(30));
        using var http = new HttpClient();

        // The SDK's connection probe is a short stream of its own: wait until only the app's stream is counted.
        await Wait.UntilAsync(async () => Value(await http.GetStringAsync($"{_sidecar.AdminUrl}/metrics"), "workflow_app_streams") == 1, "one app stream is counted");
        var text = await http.GetStringAsync($"{_sidecar.AdminUrl}/metrics");

        foreach (var name in (string[])["workflows_started_total", "workflows_completed_total", "workflows_failed_total", "workflow_checkpoint_commit_seconds_bucket", "workflow_checkpoint_commit_seconds_count", "workflows_active", "workflow_app_streams"])
        {
            Assert.Contains(text.Split('\n'), line => line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal));
        }

        Assert.Equal(1, Value(text, "workflow_app_streams"));
        Assert.True(Value(text, "workflows_started_total") >= 2);
        Assert.True(Value(text, "workflows_completed_total") >= 1);
        Assert.True(Value(text, "workflows_failed_total") >= 1);
        Assert.True(Value(text, "workflow_checkpoint_commit_seconds_count") >= 1);
    }

    /// <summary>The sum of a metric's samples (every label set) in Prometheus text.</summary>
    private static double Value(string text, string name) =>
        text.Split('\n')
            .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static List<string> Seen(string log, string id) =>
        Lines(log, "cp").Where(l => l.Split(' ')[1] == id).Select(l => l[$"cp {id} ".Length..]).ToList();

    private static List<string> Lines(string path, string kind) =>
        File.Exists(path) ? File.ReadAllLines(path).Where(l => l.StartsWith(kind + " ", StringComparison.Ordinal)).ToList() : [];
}
