using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outrigger.Client;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>The examples/workflows/ping-pong apps (C# and Python) as a user runs them, against a sidecar process.</summary>
public sealed class PingPongExampleTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("wf-example");
    private SidecarNode _sidecar = null!;

    public async Task InitializeAsync()
    {
        _sidecar = new SidecarNode("node-1", _directory.Path);
        await _sidecar.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task CSharpExample_PingOverHttp_Pong()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Repo.Path($"examples/workflows/ping-pong/dotnet/bin/{configuration}/net10.0/PingPong.dll");
        await using var app = ChildProcess.Start("dotnet", [dll], new Dictionary<string, string> { ["RAFTORAL_SIDECAR_URL"] = _sidecar.SidecarUrl });
        await app.WaitForLineAsync("ping-pong (C#) registered");
        using var http = new HttpClient { BaseAddress = new Uri(_sidecar.NodeUrl) };

        using var started = await http.PostAsJsonAsync("/workflow/execute", new JsonObject { ["name"] = "ping_pong", ["version"] = 1, ["input"] = "ping" });
        var id = (await started.Content.ReadFromJsonAsync<JsonObject>())!["workflow_id"]!.GetValue<string>();
        var result = await http.GetFromJsonAsync<JsonObject>($"/workflow/wait?workflow_id={id}&timeout_seconds=30");

        Assert.Equal("pong", result!["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task PythonExample_PingOverGrpc_Pong()
    {
        await using var app = ChildProcess.Start("/usr/bin/python3", [Repo.Path("examples/workflows/ping-pong/python/ping_pong.py")],
            new Dictionary<string, string> { ["RAFTORAL_SIDECAR_URL"] = _sidecar.SidecarUrl, ["PYTHONUNBUFFERED"] = "1" });
        await app.WaitForLineAsync("ping-pong (Python) registered");
        using var management = new WorkflowManagementClient(_sidecar.NodeUrl);

        var outcome = await management.RunAsync("ping_pong", 1, "\"ping\"", timeout: TimeSpan.FromSeconds(30));

        Assert.Equal("\"pong\"", outcome.ResultJson);
    }
}
