using System.Diagnostics;
using System.Text.Json.Nodes;
using Outrigger.Workflows.Cli;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>
/// examples/workflows/ping-pong as its README runs it: the <c>outrigger</c> binary (<c>start</c>), the example app
/// (C# or Python) as a process, the workflow run with the <c>outrigger workflow</c> CLI and with curl.
/// </summary>
public sealed class PingPongExampleTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("wf-example");
    private SidecarNode _sidecar = null!;

    public async Task InitializeAsync()
    {
        _sidecar = new SidecarNode("node-1", _directory.Path);
        // The CLI's variable in the sidecar's own environment must not be read as configuration (it once was).
        await _sidecar.StartAsync(new Dictionary<string, string> { [WorkflowCommands.NodeVariable] = _sidecar.NodeUrl });
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task CSharpExample_PingViaCliAndCurl_Pong()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Repo.Path($"examples/workflows/ping-pong/dotnet/bin/{configuration}/net10.0/PingPong.dll");
        await using var app = ChildProcess.Start("dotnet", [dll], new Dictionary<string, string> { ["RAFTORAL_SIDECAR_URL"] = _sidecar.SidecarUrl });
        await app.WaitForLineAsync("ping-pong (C#) registered");

        await AssertPongViaCliAsync();
        await AssertPongViaCurlAsync();
    }

    [Fact]
    public async Task PythonExample_PingViaCliAndCurl_Pong()
    {
        await using var app = ChildProcess.Start("/usr/bin/python3", [Repo.Path("examples/workflows/ping-pong/python/ping_pong.py")],
            new Dictionary<string, string> { ["RAFTORAL_SIDECAR_URL"] = _sidecar.SidecarUrl, ["PYTHONUNBUFFERED"] = "1" });
        await app.WaitForLineAsync("ping-pong (Python) registered");

        await AssertPongViaCliAsync();
        await AssertPongViaCurlAsync();
    }

    [Fact]
    public async Task CliAndCurl_UnknownWorkflowVersion_ClearErrorAtOnce()
    {
        var clock = Stopwatch.StartNew();
        var cli = await OutriggerBinary.RunAsync(["workflow", "run", "ping_pong", "--version", "7", "--input", "\"ping\"", "--wait", "--node", _sidecar.NodeUrl]);
        var curl = await CurlAsync("-X", "POST", $"{_sidecar.NodeUrl}/workflow/execute", "-d", """{"name": "ping_pong", "version": 7, "input": "ping"}""");

        Assert.Equal(1, cli.Exit);
        Assert.Contains("no app has registered workflow ping_pong v7", cli.Error, StringComparison.Ordinal);
        Assert.Equal("412", curl.Status);
        Assert.Contains("no app has registered workflow ping_pong v7", curl.Body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "refused at once, not after a wait");
    }

    /// <summary><c>outrigger workflow run ping_pong --input '"ping"' --wait</c>, the node given by RAFTORAL_NODE_URL.</summary>
    private async Task AssertPongViaCliAsync()
    {
        var run = await OutriggerBinary.RunAsync(
            ["workflow", "run", "ping_pong", "--input", "\"ping\"", "--wait", "--timeout", "30"],
            new Dictionary<string, string> { [WorkflowCommands.NodeVariable] = _sidecar.NodeUrl });

        Assert.True(run.Exit == 0, $"exit {run.Exit}: {run.Error}{run.Out}");
        var answer = JsonNode.Parse(run.Out)!;
        Assert.Equal("COMPLETED", answer["status"]!.GetValue<string>());
        Assert.Equal("pong", answer["result"]!.GetValue<string>());

        var show = await OutriggerBinary.RunAsync(["workflow", "show", answer["workflow_id"]!.GetValue<string>(), "--node", _sidecar.NodeUrl]);
        Assert.Equal(0, show.Exit);
        var checkpoint = Assert.Single(JsonNode.Parse(show.Out)!["checkpoints"]!.AsArray());
        Assert.Equal(("result", "pong"), (checkpoint!["name"]!.GetValue<string>(), checkpoint["value"]!.GetValue<string>()));
    }

    /// <summary>The README's curl lines.</summary>
    private async Task AssertPongViaCurlAsync()
    {
        var started = await CurlAsync("-X", "POST", $"{_sidecar.NodeUrl}/workflow/execute", "-d", """{"name": "ping_pong", "version": 1, "input": "ping"}""");
        Assert.Equal("202", started.Status);
        var id = started.Body["workflow_id"]!.GetValue<string>();

        var waited = await CurlAsync($"{_sidecar.NodeUrl}/workflow/wait?workflow_id={id}&timeout_seconds=30");

        Assert.Equal("200", waited.Status);
        Assert.Equal(("COMPLETED", "pong"), (waited.Body["status"]!.GetValue<string>(), waited.Body["result"]!.GetValue<string>()));
    }

    /// <summary>curl -s, the status code appended on its own line.</summary>
    private static async Task<(string Status, JsonNode Body)> CurlAsync(params string[] args)
    {
        var info = new ProcessStartInfo("curl") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["-s", "-w", "\n%{http_code}", .. args])
        {
            info.ArgumentList.Add(arg);
        }

        using var curl = Process.Start(info)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        var split = output.LastIndexOf('\n');
        return (output[(split + 1)..], JsonNode.Parse(output[..split])!);
    }
}
