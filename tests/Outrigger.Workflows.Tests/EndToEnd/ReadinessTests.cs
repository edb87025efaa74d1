using System.Net;
using System.Text.Json.Nodes;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.EndToEnd;

/// <summary>
/// <c>/ready</c> on the admin port of the <c>outrigger</c> binary: it needs the coordination store and, with
/// <c>workflows.require_app</c>, at least one connected app stream.
/// </summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("wf-ready");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            await item.DisposeAsync();
        }

        _http.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task RequireApp_NotReadyUntilAnAppConnects_AndAgainWhenItIsGone()
    {
        var sidecar = new SidecarNode("node-1", _directory.Path, "require_app: true");
        _cleanup.Add(sidecar);
        await sidecar.StartAsync();

        var before = await ReadyAsync(sidecar);
        var app = ChildProcess.StartSelf("app", "--sidecar", sidecar.SidecarUrl, "--log", Path.Combine(_directory.Path, "app.log"));
        _cleanup.Add(app);
        await app.WaitForLineAsync("REGISTERED");
        var connected = await ReadyAsync(sidecar);
        await app.KillAsync();
        await Wait.UntilAsync(async () => (await ReadyAsync(sidecar)).Status == HttpStatusCode.ServiceUnavailable, "/ready turns 503 without the app");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.Status);
        Assert.Contains("no app is connected", before.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, connected.Status);
    }

    [Fact]
    public async Task EtcdStore_NotReadyWhileTheStoreIsDown_ReadyAgainWhenItIsBack()
    {
        var client = Ports.Free();
        var peer = Ports.Free();
        var etcdArgs = new[]
        {
            "--name", "wf-ready", "--data-dir", Path.Combine(_directory.Path, "etcd"),
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"wf-ready=http://127.0.0.1:{peer}",
        };
        var etcd = ChildProcess.Start("etcd", etcdArgs);
        var sidecar = new SidecarNode("node-1", _directory.Path, $"coordination:\n  backend: etcd\n  etcd:\n    endpoints: http://127.0.0.1:{client}");
        _cleanup.Add(sidecar);
        await sidecar.StartAsync();
        await Wait.UntilAsync(async () => (await ReadyAsync(sidecar)).Status == HttpStatusCode.OK, "/ready with etcd up");

        await etcd.DisposeAsync();
        await Wait.UntilAsync(async () => (await ReadyAsync(sidecar)).Status == HttpStatusCode.ServiceUnavailable, "/ready turns 503 with etcd down", TimeSpan.FromSeconds(60));
        var down = await ReadyAsync(sidecar);
        etcd = ChildProcess.Start("etcd", etcdArgs);
        _cleanup.Add(etcd);
        await Wait.UntilAsync(async () => (await ReadyAsync(sidecar)).Status == HttpStatusCode.OK, "/ready again with etcd back", TimeSpan.FromSeconds(60));

        Assert.Contains("coordination store", down.Body, StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, string Body)> ReadyAsync(SidecarNode sidecar)
    {
        using var response = await _http.GetAsync($"{sidecar.AdminUrl}/ready");
        var body = await response.Content.ReadAsStringAsync();
        _ = JsonNode.Parse(body);
        return (response.StatusCode, body);
    }
}
