using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.CommandLine;
using Outrigger.Client;
using Outrigger.Grpc;
using Outrigger.Workflows.Cli;
using Outrigger.Workflows.Tests.Apps;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.Hosting;

/// <summary>
/// The module on real sockets: the C# SDK as the app over the gRPC stream, the management API over gRPC (SDK client)
/// and HTTP (HttpClient), including the refusals a caller gets for bad input.
/// </summary>
public sealed class ModuleApiTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("wf-module");
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new();
    private ModuleHost _host = null!;
    private WorkflowClient _app = null!;
    private WorkflowManagementClient _management = null!;
    private Task _run = Task.CompletedTask;
    private string _log = null!;

    public async Task InitializeAsync()
    {
        _host = await ModuleHost.StartAsync(ModuleHost.Yaml("node-a", _data.Path), _data.Path);
        _app = await WorkflowClient.ConnectAsync(_host.SidecarUrl);
        _log = Path.Combine(_data.Path, "app.log");
        TestApp.Register(_app, new AppLog(_log));
        _run = _app.RunAsync(_stop.Token);
        await _app.Registered.WaitAsync(TimeSpan.FromSeconds(10));
        _management = new WorkflowManagementClient(_host.NodeUrl);
        _http.BaseAddress = new Uri(_host.NodeUrl);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await _app.DisposeAsync();
        _management.Dispose();
        _http.Dispose();
        await _host.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task PingPong_RunSyncOverGrpc_ReturnsPong()
    {
        var outcome = await _management.RunAsync("ping_pong", 1, "\"ping\"", timeout: TimeSpan.FromSeconds(20));

        Assert.True(outcome.Success);
        Assert.Equal(WorkflowState.Completed, outcome.State);
        Assert.Equal("\"pong\"", outcome.ResultJson);
        var details = await _management.GetAsync(outcome.WorkflowId);
        Assert.Equal("result", Assert.Single(details.Checkpoints).Name);
        Assert.Equal("\"pong\"", WorkflowManagementClient.Text(details.Checkpoints[0].Value));
        Assert.Equal("node-a", details.Owner);
    }

    [Fact]
    public async Task PingPong_OverHttp_ExecuteThenWait()
    {
        var started = await PostAsync("/workflow/execute", """{"name": "ping_pong", "version": 1, "input": "ping"}""");
        Assert.Equal(HttpStatusCode.Accepted, started.Status);
        var id = started.Body["workflow_id"]!.GetValue<string>();

        var waited = await GetAsync($"/workflow/wait?workflow_id={id}&timeout_seconds=20");

        Assert.Equal(HttpStatusCode.OK, waited.Status);
        Assert.Equal("COMPLETED", waited.Body["status"]!.GetValue<string>());
        Assert.True(waited.Body["success"]!.GetValue<bool>());
        Assert.Equal("pong", waited.Body["result"]!.GetValue<string>());
        var shown = await GetAsync($"/workflows/{id}");
        Assert.Equal("result", shown.Body["checkpoints"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("ping", shown.Body["input"]!.GetValue<string>());
        var listed = await GetAsync("/workflows?status=completed");
        Assert.Contains(listed.Body["workflows"]!.AsArray(), w => w!["workflow_id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Counter_ManyCheckpoints_ResultAndHistoryInOrder()
    {
        var outcome = await _management.RunAsync("counter", 1, """{"n": 30, "delay_ms": 0}""", timeout: TimeSpan.FromSeconds(30));

        Assert.Equal("4350", outcome.ResultJson);
        var details = await _management.GetAsync(outcome.WorkflowId);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"step-{i}"), details.Checkpoints.Select(c => c.Name));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (ulong)i), details.Checkpoints.Select(c => c.Sequence));
    }

    [Fact]
    public async Task FailingWorkflow_RecordedAsFailedWithItsError()
    {
        var outcome = await _management.RunAsync("fail", 1, "\"x\"", timeout: TimeSpan.FromSeconds(20));

        Assert.False(outcome.Success);
        Assert.Equal(WorkflowState.Failed, outcome.State);
        Assert.Contains("failing on purpose: x", outcome.Error, StringComparison.Ordinal);
        var waited = await GetAsync($"/workflow/wait?workflow_id={outcome.WorkflowId}");
        Assert.Equal("FAILED", waited.Body["status"]!.GetValue<string>());
        Assert.False(waited.Body["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Start_UnregisteredWorkflow_ClearErrorNotAHang()
    {
        var grpc = await Assert.ThrowsAsync<RpcException>(() => _management.StartAsync("nope", 1, "null"));
        var http = await PostAsync("/workflow/execute", """{"name": "ping_pong", "version": 7, "input": "ping"}""");

        Assert.Equal(StatusCode.FailedPrecondition, grpc.StatusCode);
        Assert.Contains("no app has registered workflow nope v1", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.PreconditionFailed, http.Status);
        Assert.Contains("ping_pong v7", http.Body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("registered: big v1, counter v1, fail v1, ping_pong v1", http.Body["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"version\": 1}", "'name' is required")]
    [InlineData("{\"name\": \"ping_pong\", \"version\": 0}", "'version' must be a whole number")]
    [InlineData("{\"name\": \"ping_pong\", \"version\": \"one\"}", "'version' must be a whole number")]
    [InlineData("{\"name\": \"ping_pong\", \"workflow_id\": \"a b\"}", "workflow id 'a b' is not valid")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    public async Task Execute_BadBody_400WithReason(string body, string reason)
    {
        var response = await PostAsync("/workflow/execute", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(reason, response.Body["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_UnknownIdsRoutesAndMethods_ClearStatuses()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/workflow/wait?workflow_id=missing")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/workflows/missing")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/workflow/wait")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/workflow/wait?workflow_id=x&timeout_seconds=abc")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/workflows?status=DONE")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/nope")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await GetAsync("/workflow/execute")).Status);
        Assert.Equal("node-a", (await GetAsync("/health")).Body["node_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wait_StillRunning_408OverHttpDeadlineExceededOverGrpc()
    {
        var id = await _management.StartAsync("counter", 1, """{"n": 1, "delay_ms": 5000}""");

        var http = await GetAsync($"/workflow/wait?workflow_id={id}&timeout_seconds=1");
        var grpc = await Assert.ThrowsAsync<RpcException>(() => _management.WaitAsync(id, TimeSpan.FromSeconds(1)));

        Assert.Equal(HttpStatusCode.RequestTimeout, http.Status);
        Assert.Equal("RUNNING", http.Body["status"]!.GetValue<string>());
        Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);
        Assert.True(await _management.CancelAsync(id, "test over"));
    }

    [Fact]
    public async Task Cancel_OverHttp_AppStopsAndStatusCancelled()
    {
        var id = await _management.StartAsync("counter", 1, """{"n": 1000, "delay_ms": 20}""");
        await Wait.UntilAsync(async () => (await _management.GetAsync(id)).Checkpoints.Count >= 2, "a few checkpoints are committed");

        var cancelled = await PostAsync($"/workflows/{id}/cancel", """{"reason": "enough"}""");

        Assert.Equal(HttpStatusCode.OK, cancelled.Status);
        Assert.Equal("CANCELLED", cancelled.Body["status"]!.GetValue<string>());
        Assert.Equal("cancelled: enough", cancelled.Body["error"]!.GetValue<string>());
        await Wait.UntilAsync(() => _app.RunningWorkflows == 0, "the app stopped running it");
        var count = (await _management.GetAsync(id)).Checkpoints.Count;
        await Task.Delay(300);
        Assert.Equal(count, (await _management.GetAsync(id)).Checkpoints.Count);
    }

    [Fact]
    public async Task Start_SameIdTwiceOverHttp_SecondAnswersExisting()
    {
        var first = await PostAsync("/workflow/execute", """{"name": "ping_pong", "input": "ping", "workflow_id": "same-1"}""");
        var second = await PostAsync("/workflow/execute", """{"name": "ping_pong", "input": "ping", "workflow_id": "same-1"}""");
        var other = await PostAsync("/workflow/execute", """{"name": "counter", "input": {"n": 1}, "workflow_id": "same-1"}""");

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.False(second.Body["created"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Conflict, other.Status);
    }

    [Fact]
    public async Task HugeCheckpoint_SdkRefusesBeforeSending_WorkflowFailsWithReason()
    {
        var id = "huge-1";
        _app.RegisterWorkflow("huge", 1, async (ctx, _) =>
            await ctx.CheckpointBytesAsync("blob", () => Task.FromResult(new byte[(1 << 20) + 1]), everywhere: false));
        await _app.Registered.WaitAsync(TimeSpan.FromSeconds(10));

        await _management.StartAsync("huge", 1, "null", id);
        var outcome = await _management.WaitAsync(id, TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowState.Failed, outcome.State);
        Assert.Contains("1048577 bytes, over the limit of 1048576 bytes", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_RunWithWait_PrintsPongAndExitsZero()
    {
        var (exit, output, error) = await CliAsync("run", "ping_pong", "--input", "\"ping\"", "--wait", "--id", "cli-1");

        Assert.True(exit == 0, error);
        Assert.Equal("pong", JsonNode.Parse(output)!["result"]!.GetValue<string>());
        var (showExit, shown, _) = await CliAsync("show", "cli-1");
        Assert.Equal(0, showExit);
        Assert.Equal("result", JsonNode.Parse(shown)!["checkpoints"]![0]!["name"]!.GetValue<string>());
        var (listExit, listed, _) = await CliAsync("list", "--status", "COMPLETED");
        Assert.Equal(0, listExit);
        Assert.Contains("cli-1", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_FailuresAndRefusals_NonZeroWithReason()
    {
        var (failedExit, failed, _) = await CliAsync("run", "fail", "--input", "\"x\"", "--wait");
        var (unknownExit, _, unknown) = await CliAsync("run", "nope", "--wait");
        var (badInputExit, _, badInput) = await CliAsync("run", "ping_pong", "--input", "{not json");
        var (missingExit, _, missing) = await CliAsync("wait", "no-such-id");
        var (badNodeExit, _, _) = await CliAsync("list", "--node", "not a url");

        Assert.Equal(1, failedExit);
        Assert.Equal("FAILED", JsonNode.Parse(failed)!["status"]!.GetValue<string>());
        Assert.Equal(1, unknownExit);
        Assert.Contains("412", unknown, StringComparison.Ordinal);
        Assert.Contains("no app has registered workflow nope v1", unknown, StringComparison.Ordinal);
        Assert.Equal(1, badInputExit);
        Assert.Contains("--input is not valid JSON", badInput, StringComparison.Ordinal);
        Assert.Equal(1, missingExit);
        Assert.Contains("unknown workflow 'no-such-id'", missing, StringComparison.Ordinal);
        Assert.NotEqual(0, badNodeExit);
    }

    [Fact]
    public async Task Cli_WaitRunsOutAndCancel_Exit3ThenCancelled()
    {
        var id = await _management.StartAsync("counter", 1, """{"n": 1, "delay_ms": 10000}""");

        var (waitExit, _, _) = await CliAsync("wait", id, "--timeout", "1");
        var (cancelExit, cancelled, _) = await CliAsync("cancel", id, "--reason", "from the cli");

        Assert.Equal(3, waitExit);
        Assert.Equal(0, cancelExit);
        Assert.Equal("cancelled: from the cli", JsonNode.Parse(cancelled)!["error"]!.GetValue<string>());
    }

    private async Task<(int Exit, string Output, string Error)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { WorkflowCommands.Create() };
        var exit = await root.Parse(["workflow", "--node", _host.NodeUrl, .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string path, string body)
    {
        using var response = await _http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }
}
