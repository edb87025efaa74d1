namespace Outrigger.Workflows.Tests.Infrastructure;

/// <summary>A sidecar process with fixed ports and data folder, so it can be killed and started again as the same node.</summary>
internal sealed class SidecarNode : IAsyncDisposable
{
    private readonly string _config;
    private readonly string _data;
    private ChildProcess? _process;

    public SidecarNode(string node, string directory, string extraYaml = "")
    {
        SidecarPort = Ports.Free();
        NodePort = Ports.Free();
        _data = Path.Combine(directory, node);
        Directory.CreateDirectory(_data);
        _config = Path.Combine(directory, node + ".yaml");
        var yaml = ModuleHost.Yaml(node, _data, extraYaml, $"127.0.0.1:{SidecarPort}", $"127.0.0.1:{NodePort}");
        File.WriteAllText(_config, yaml);
    }

    public int SidecarPort { get; }

    public int NodePort { get; }

    public string SidecarUrl => $"http://127.0.0.1:{SidecarPort}";

    public string NodeUrl => $"http://127.0.0.1:{NodePort}";

    public ChildProcess Process => _process ?? throw new InvalidOperationException("not started");

    public async Task StartAsync()
    {
        _process = ChildProcess.StartSelf("sidecar", "--config", _config, "--data", _data);
        await _process.WaitForLineAsync("READY");
    }

    /// <summary>kill -9.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public ValueTask DisposeAsync() => new(KillAsync());
}
